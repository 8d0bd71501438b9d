"""Money (DESIGN §2, §4.5): the books in double entry, bid deposits in virtual sub-accounts, refunds with interest,
e-guarantees, performance security and fees. Every amount is integer 分; every movement a balanced posting."""
