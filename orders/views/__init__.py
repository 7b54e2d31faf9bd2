"""Staff dashboard pages of the orders app (Pesanan): list, detail, manual entry, documents, export."""
