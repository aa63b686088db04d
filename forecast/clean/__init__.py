"""Cleaning: RawPrices -> PriceTable, with a written account of every row changed or refused."""
