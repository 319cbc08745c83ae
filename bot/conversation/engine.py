"""One path for every incoming message, whatever the channel.

``Engine.handle(inbound)`` runs in one database transaction: find or create the chat and
its customer, log the message (skipping an update already handled), advance the conversation, write
what the customer decided, log the replies. It returns the replies for the adapter to
send. Any instance can take any message: all state is in the store.

An agent's command that only reads (a report) is logged and recognised in that
transaction, and run after it commits, its replies logged in a second one."""

from __future__ import annotations

import dataclasses
import logging
import time
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from bot.agents.command_table import may_be_command
from bot.agents.run_command import handle_command, reads_only
from bot.conversation import after_sale, handoff, menu, ordering, router
from bot.conversation.flows import build_flows
from bot.conversation.turn import Turn
from bot.inbound import Inbound, Reply, buttons, storable
from bot.understanding import Lexicon, Understanding, load_lexicon
from crm_core.customers.records import (
    find_conversation,
    save_changes,
    save_chat,
    snapshot,
    start_conversation,
)
from crm_core.errors import StoreNotSynced
from crm_core.models import Agent, Conversation
from crm_core.models.sealed import seal_once
from crm_core.outreach import outbox
from crm_core.outreach.contact_policy import Rules
from crm_core.outreach.message_log import log_incoming, log_replies
from crm_core.privacy.sealing import chat_index
from crm_core.sales.catalog import Catalog, CatalogCache
from crm_core.shop import ShopFile
from crm_core.staff.agents import recognise as recognise_agent
from crm_core.store import durable, is_transient, short_statements
from message_templates import Texts

log = logging.getLogger(__name__)

MAX_TEXT = 1_000  # longer than any answer we ask for; the whole text is still logged
HELD = ("telegram", "whatsapp")  # a terminal's replies are shown by `langgan chat` itself
ATTEMPTS = 3  # two first messages from one new customer at once: the loser retries


class Duplicate(Exception):
    """This update was handled before (a webhook retry, a re-polled update)."""


@dataclasses.dataclass(frozen=True)
class AfterCommit:
    """An agent's read-only command, logged and recognised: run it once committed."""

    agent: Agent
    inbound: Inbound


class Engine:
    def __init__(
        self,
        texts: Texts,
        *,
        default_language: str = "id",
        catalog: CatalogCache | None = None,
        rules: Rules | None = None,
        lexicon: Lexicon | None = None,
        shop: ShopFile | None = None,
        hold_replies: Callable[[], datetime] | None = None,
    ) -> None:
        self.texts = texts
        self.default_language = default_language
        self.catalog = catalog or CatalogCache()
        self.flows = build_flows()
        self.rules = rules or Rules()
        self.lexicon = lexicon or load_lexicon(texts.shop_dir)
        self.shop = shop or ShopFile()
        self._understanding: tuple[Catalog, Understanding] | None = None
        # The running service's clock: each reply to a Telegram or WhatsApp chat is then
        # also held in the outbox, claimed by this process as of that time, inside the
        # turn's transaction, so a reply not sent before a crash is sent after it.
        self.hold_replies = hold_replies

    def understanding(self, catalog: Catalog) -> Understanding:
        """The reader for this catalog: built when the catalog changes, then kept (the
        catalog's words and their fuzzy look-ups are the costly part)."""
        if self._understanding is None or self._understanding[0] is not catalog:
            reader = Understanding(self.lexicon, catalog, self.shop.phrases)
            self._understanding = (catalog, reader)
        return self._understanding[1]

    async def handle(self, inbound: Inbound) -> list[Reply]:
        inbound = storable(inbound)
        # Seconds that always move on: a message's own time may come from another clock.
        catalog = await self.catalog.get(time.monotonic())
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with short_statements():
                    async with in_transaction():
                        outcome = await self._handle(inbound, catalog)
                # On the disk before the webhook is answered or a reply leaves; on
                # SQLite one sync serves every turn committed meanwhile.
                await durable()
                if isinstance(outcome, AfterCommit):
                    return await self._read_only_command(outcome.agent, outcome.inbound)
                return outcome
            except Duplicate:
                return []
            except StoreNotSynced:
                # Committed, but the disk failed it: nothing is acknowledged (the webhook
                # answers 500) and the held replies wait in the outbox for a restart.
                raise
            except Exception as exc:
                # A race (another instance creating the same customer, a deadlock with a
                # merge, SQLite busy) rolled the transaction back whole: try again. Else
                # never a traceback to the customer: log it, keep the message, answer.
                # Logged by type only: a database's message can quote personal data.
                if is_transient(exc) and attempt < ATTEMPTS:
                    continue
                _log_failure(inbound, exc)
                break
        return await self._apologise(inbound)

    async def _handle(self, inbound: Inbound, catalog: Catalog) -> list[Reply] | AfterCommit:
        now = inbound.received_at
        if may_be_command(inbound.text) or inbound.reply_to is not None:
            # Only a command (with its slash or without: "cari budi"), or a reply to the
            # bot's own message (an answer to a relayed customer), can be an agent's:
            # one look-up, for those alone.
            agent = await recognise_agent(inbound.telegram_id, inbound.verified_phone)
            if agent is not None:
                # An agent's command may search or list the whole customer table: its
                # statements go to SQLite's thread, and the loop serves others meanwhile.
                with short_statements(False):
                    return await self._agent_command(agent, inbound, catalog)
        conversation = await self._conversation(inbound)
        customer = conversation.customer
        try:
            # The log's unique (channel, direction, external_id) is the processed-update
            # key: a retried webhook or re-polled update stops here, and rolls back.
            message_id = await log_incoming(
                customer.id,
                inbound.channel,
                inbound.text,
                now,
                kind=inbound.kind,
                external_id=inbound.external_id,
                media_url=inbound.media_url,
                media_type=inbound.media_type,
            )
        except IntegrityError:
            raise Duplicate from None

        turn = Turn(
            inbound,
            customer,
            conversation,
            catalog,
            self.texts,
            now,
            clean(inbound.text),
            self.flows,
        )
        turn.customer_before = snapshot(customer)
        turn.shop = self.shop
        turn.reader = self.understanding(catalog).read
        turn.message_id = message_id
        await self._take_turn(turn)
        _remember_choices(turn)

        if _moved_on(turn.customer.last_inbound_at, now):
            turn.customer.last_inbound_at = now
        await save_changes(turn.customer, turn.customer_before, now)
        await save_chat(turn.conversation, now)
        return await self._keep_replies(inbound, turn.replies, turn.customer.id)

    async def _keep_replies(
        self, inbound: Inbound, replies: list[Reply], customer_id: int | None
    ) -> list[Reply]:
        """Log the replies (and hold them in the outbox, see ``hold_replies``): one
        statement for each, however many. A reply's words are sealed once for both
        rows, and the chat's address once for the turn."""
        if not replies:
            return []
        bodies = [seal_once(reply.text) for reply in replies]
        logged = await log_replies(customer_id, inbound.channel, bodies, inbound.received_at)
        kept = [dataclasses.replace(r, message_id=i) for r, i in zip(replies, logged, strict=True)]
        if self.hold_replies is None or inbound.channel not in HELD:
            return kept
        held = await outbox.hold_replies(
            inbound.channel, seal_once(inbound.sender), bodies, logged, self.hold_replies(),
            customer_id=customer_id, keyboards=[buttons(reply) for reply in replies],
        )  # fmt: skip
        return [dataclasses.replace(r, outbox_id=i) for r, i in zip(kept, held, strict=True)]

    async def _agent_command(
        self, agent: Agent, inbound: Inbound, catalog: Catalog
    ) -> list[Reply] | AfterCommit:
        """An agent's command: logged like any message (and deduplicated the same way),
        but on no customer's record."""
        now = inbound.received_at
        try:
            await log_incoming(
                None, inbound.channel, inbound.text, now, external_id=inbound.external_id
            )
        except IntegrityError:
            raise Duplicate from None
        await Agent.filter(id=agent.id).update(last_inbound_at=now)
        if reads_only(inbound.text):
            return AfterCommit(agent, inbound)
        reader = self.understanding(catalog).read
        replies = await handle_command(agent, inbound, self.texts, self.rules, reader, self.shop)
        return await self._log_agent_replies(inbound, replies)

    async def _read_only_command(self, agent: Agent, inbound: Inbound) -> list[Reply]:
        """Run outside the transaction: its reads hold no lock (on SQLite the one
        connection is free between statements), so other chats are answered meanwhile.
        Its update is already logged, so a failure here is answered, not retried."""
        try:
            replies = await handle_command(agent, inbound, self.texts, self.rules, shop=self.shop)
            async with in_transaction():
                return await self._log_agent_replies(inbound, replies)
        except Exception as exc:
            _log_failure(inbound, exc)
            return [Reply(self.texts.render("error", agent.language))]

    async def _log_agent_replies(self, inbound: Inbound, replies: list[Reply]) -> list[Reply]:
        return await self._keep_replies(inbound, replies, None)

    async def _conversation(self, inbound: Inbound) -> Conversation:
        found = await find_conversation(inbound.channel, inbound.sender)
        if found is not None:
            return found
        return await start_conversation(
            inbound.channel,
            inbound.sender,
            inbound.received_at,
            language=self.default_language,
            display_name=inbound.display_name,
            telegram_id=inbound.telegram_id,
            # Only a phone that is the chat's own address (WhatsApp) is kept before
            # consent; a contact shared in a first message waits for the answer.
            phone=inbound.verified_phone if inbound.verified_phone == inbound.sender else None,
        )

    async def _take_turn(self, turn: Turn) -> None:
        inbound = turn.inbound
        if inbound.kind == "contact":
            await self._contact(turn)
            return
        if turn.state == "handoff":
            if inbound.kind == "text" and len(turn.text) <= MAX_TEXT:
                turn.reading = turn.understand(turn.text)
            if await handoff.with_a_person(turn):
                return  # relayed to the team; a person answers
        if inbound.kind in ("photo", "document") and await after_sale.receipt(turn):
            return  # a transfer receipt for an order awaiting payment
        if inbound.kind != "text":
            turn.say("non_text", kind=inbound.kind)
            await self._reprompt(turn)
            return
        if len(turn.text) > MAX_TEXT:
            turn.say("too_long", max=MAX_TEXT)
            await self._reprompt(turn)
            return
        misses, earlier = int(turn.data.get("misses") or 0), turn.data.get("missed_text")
        turn.reading = turn.reading or turn.understand(turn.text)
        await router.respond(turn)
        await router.after_miss(turn, misses, earlier)

    async def _contact(self, turn: Turn) -> None:
        phone = turn.inbound.verified_phone or turn.inbound.shared_phone
        if phone is None:
            turn.say("bad_phone")
        elif turn.state in ("new", "consent"):
            # Not kept before consent is answered.
            turn.say("consent_first")
        else:
            verified = turn.inbound.verified_phone is not None
            linked = await ordering.use_phone(turn, phone, verified=verified)
            if turn.state == "order_phone":
                await ordering.advance(turn)  # an unlinked number serves this delivery
                return
            if not linked:
                turn.say("phone_not_linked")
            if turn.state == "update_value":
                await menu.show_menu(turn)
                return
        await self._reprompt(turn)

    async def _reprompt(self, turn: Turn) -> None:
        state = turn.flows.state(turn.state)
        await state.prompt(turn)

    async def _apologise(self, inbound: Inbound) -> list[Reply]:
        """Sorry, in the customer's language; the message is said to be recorded only
        when it is (logged here, or by an earlier delivery of the same update)."""
        language, recorded = self.default_language, True
        try:
            async with in_transaction():
                chat = (
                    await Conversation.filter(
                        address_index=chat_index(inbound.channel, inbound.sender)
                    )
                    .select_related("customer")
                    .first()
                )
                if chat is not None:
                    language = chat.customer.language
                await log_incoming(
                    chat.customer.id if chat else None,
                    inbound.channel,
                    inbound.text,
                    inbound.received_at,
                    kind=inbound.kind,
                    external_id=inbound.external_id,
                )
        except IntegrityError:
            pass  # already in the log: this update was handled before
        except Exception as exc:
            recorded = False
            _log_failure(inbound, exc)
        return [Reply(self.texts.render("error" if recorded else "error_not_recorded", language))]


# A customer's last message is kept to the minute: a chat's messages a few seconds apart
# write the customer's row once, not each time. The chat's own time, which WhatsApp's
# 24-hour window is counted from, is written exact with every message.
CUSTOMER_LAST_INBOUND = timedelta(minutes=1)


def _moved_on(last: datetime | None, now: datetime) -> bool:
    return last is None or not last <= now < last + CUSTOMER_LAST_INBOUND


def _remember_choices(turn: Turn) -> None:
    """The choices the customer now sees, so that their number picks one next time."""
    shown = next((list(r.choices) for r in reversed(turn.replies) if r.choices), None)
    if shown:
        turn.data["shown"] = shown
    else:
        turn.data.pop("shown", None)


def clean(text: str) -> str:
    """The text without control characters (keeping line breaks), trimmed."""
    kept = (ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return "".join(kept).strip()


def _log_failure(inbound: Inbound, exc: BaseException) -> None:
    # By type only: a database's message can quote personal data.
    log.error(
        "failed on %s update %s: %s",
        inbound.channel,
        inbound.external_id,
        type(exc).__name__,
        exc_info=not is_transient(exc),
    )
