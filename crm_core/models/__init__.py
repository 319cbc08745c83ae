"""Everything Langgan keeps, as Tortoise models.

Tortoise discovers models by reading this module's attributes, so each model module's
classes are re-exported here; the app label is ``langgan`` (see ``crm_core.store``).
"""

from crm_core.models.catalog import OptionStock, Product
from crm_core.models.customers import (
    ConsentEvent,
    Customer,
    CustomerMerge,
    Note,
)
from crm_core.models.messaging import Conversation, Message
from crm_core.models.orders import InvoiceSeries, Order, OrderItem, OrderStatusChange
from crm_core.models.outreach import Contact, OutboxMessage, Ticket
from crm_core.models.privacy import ErasedIdentity, StoreSecret
from crm_core.models.staff import Agent, AuditEvent, CustomerTag, Reminder

__all__ = [
    "Agent",
    "AuditEvent",
    "ConsentEvent",
    "Contact",
    "Conversation",
    "Customer",
    "CustomerMerge",
    "CustomerTag",
    "ErasedIdentity",
    "InvoiceSeries",
    "Message",
    "Note",
    "OptionStock",
    "Order",
    "OrderItem",
    "OrderStatusChange",
    "OutboxMessage",
    "Product",
    "Reminder",
    "StoreSecret",
    "Ticket",
]
