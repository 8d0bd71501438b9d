"""Credit (信用, decision 0040): credit records, penalties, joint-punishment lists, the interception of restricted
entities and experts at the steps of the lower domains, the public credit query and the published blacklist."""
