"""The platform's documents as signed PDFs (issue 11, item 3): the bid receipt (投标文件递交回执), the opening record
(开标记录), the evaluation report (评标报告), the candidate publicity (中标候选人公示), the letters of award and of the
result (中标通知书 / 中标结果通知书) and the 交易见证书 (the platform's witness certificate of one tender's process).

Each is laid out on A4 with a Chinese font (:mod:`ggzy.documents.fonts`), carries its ledger entries printed and as
an embedded attachment (offline proof, docs/ledger.md), and is signed by the platform with a PAdES signature
(:mod:`ggzy.documents.signing`) under the document-signing certificate the platform publishes
(``GET /api/v1/documents/signing-certificate``). Decision record: docs/decisions/0028-signed-pdf-documents.md.

The package reads the other domains through their services, views and access functions only: it sits beside
``publishing`` in DESIGN §3's layers, above every domain whose records it prints.
"""
