"""The refusals a user can meet when uploading or fetching a file."""

from __future__ import annotations

from ggzy.core.errors import DomainError, NotFound


class BlobTooLarge(DomainError):
    code = "blob_too_large"
    status = 413
    message_zh = "文件超过大小上限 {limit_mb} MB"
    message_en = "The file exceeds the size limit of {limit_mb} MB"


class BlobDigestMismatch(DomainError):
    code = "blob_digest_mismatch"
    status = 422
    message_zh = "文件的 SHA-256 校验值与声明不符（声明 {expected}，实际 {actual}），文件可能在传输中损坏"
    message_en = "The file's SHA-256 digest {actual} does not match the declared {expected}; it may be corrupted"


class InvalidBlobDigest(DomainError):
    code = "invalid_blob_digest"
    status = 422
    message_zh = "文件标识不是有效的 SHA-256 摘要（应为 64 位小写十六进制字符）"
    message_en = "The file identifier is not a valid SHA-256 digest (64 lowercase hexadecimal characters)"


class BlobNotFound(NotFound):
    code = "blob_not_found"
    status = 404
    message_zh = "未找到文件 {sha256}"
    message_en = "File {sha256} not found"
