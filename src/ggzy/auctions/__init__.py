"""Rights trades: listing (挂牌), timed bidding (限时竞价) and auctions (拍卖) of land, mining and property rights, and
judicial sales (decision 0049)."""
