"""Content-addressed blob storage: bid files, tender documents and reports, named by their SHA-256."""

from ggzy.storage.blobs import (
    CHUNK_SIZE,
    MIB,
    BlobRef,
    BlobSource,
    BlobStore,
    LocalBlobStore,
    StagedBlob,
    blob_store_for,
    validate_sha256,
)
from ggzy.storage.errors import BlobDigestMismatch, BlobNotFound, BlobTooLarge, InvalidBlobDigest
from ggzy.storage.staging import open_blob, pending_blobs, stage_blob

__all__ = [
    "CHUNK_SIZE",
    "MIB",
    "BlobDigestMismatch",
    "BlobNotFound",
    "BlobRef",
    "BlobSource",
    "BlobStore",
    "BlobTooLarge",
    "InvalidBlobDigest",
    "LocalBlobStore",
    "StagedBlob",
    "blob_store_for",
    "open_blob",
    "pending_blobs",
    "stage_blob",
    "validate_sha256",
]
