"""Shipping writes. Import the module you need: `from shipping.services.shipments import ...`."""
