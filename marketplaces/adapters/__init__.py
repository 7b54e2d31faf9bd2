"""The marketplace adapters, one module per provider. Each registers itself in channels.adapters
(the registry the layers below orders look adapters up in) when imported, see MarketplacesConfig."""
