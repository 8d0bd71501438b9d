"""Publishing: disclosures, the public change feed, OCDS releases and upstream pushes."""
