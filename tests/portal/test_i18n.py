"""Chinese first, English second: every message of the pages has its English translation."""

from __future__ import annotations

from babel.messages.pofile import read_po

from ggzy.portal.i18n import catalogue_path, extract_messages, translations


def test_every_message_of_the_templates_and_labels_has_an_english_translation() -> None:
    with open(catalogue_path("en"), "rb") as po:
        catalogue = read_po(po, locale="en")
    messages = extract_messages()
    assert "公共资源交易平台" in messages  # the extraction sees the templates
    assert "中标结果公告" in messages  # and the labels marked in Python
    untranslated = [msgid for msgid in messages if not (catalogue.get(msgid) and catalogue.get(msgid).string)]
    assert untranslated == [], "run `python -m ggzy.portal.i18n` and translate these"


def test_the_catalogue_is_compiled_at_first_use_and_chinese_needs_none() -> None:
    assert translations("en").gettext("每日标讯") == "Daily bid news"
    assert translations("zh").gettext("每日标讯") == "每日标讯"
