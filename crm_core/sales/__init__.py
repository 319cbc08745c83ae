"""What the shop sells and what was bought: the catalog, stock, orders and rupiah."""
