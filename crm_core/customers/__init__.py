"""The shop's customers: their records, finding them, and reading what they type as a
phone, a city or where they found the shop."""
