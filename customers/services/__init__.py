"""CRM writes: profile (tags, notes), merge, privacy (export, erase), vouchers, loyalty, campaigns."""
