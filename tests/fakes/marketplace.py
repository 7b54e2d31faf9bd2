"""The tests' fake marketplace is the app's own sandbox marketplace (marketplaces.sandbox).

Kept under this name for the tests and the webhook benchmark (`python -m tests.fakes.marketplace`).
"""

from marketplaces.sandbox import SHOPEE_STATUSES, Credentials, FakeMarketplace, FakeOrder, main

__all__ = ["SHOPEE_STATUSES", "Credentials", "FakeMarketplace", "FakeOrder", "main"]

if __name__ == "__main__":
    main()
