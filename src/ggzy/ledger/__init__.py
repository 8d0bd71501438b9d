"""The public ledger: the platform's append-only transparency log, its Merkle tree, checkpoints and signatures."""
