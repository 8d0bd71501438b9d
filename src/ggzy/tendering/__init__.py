"""Electronic tendering: procedures, notices, documents, clarifications, registrations, sealed bids, opening."""
