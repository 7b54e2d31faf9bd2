"""The tests' fake marketplace is the app's own sandbox marketplace (channels.sandbox).

Kept under this name for the tests and the webhook benchmark (`python -m tests.fakes.marketplace`).
"""

from channels.sandbox import SHOPEE_STATUSES, Credentials, FakeMarketplace, FakeOrder, main

__all__ = ["SHOPEE_STATUSES", "Credentials", "FakeMarketplace", "FakeOrder", "main"]

if __name__ == "__main__":
    main()
