"""Telegram's HTML parse mode: text, UTF-16 entities, clean-up and Telegram's errors."""

from __future__ import annotations

import pytest

from bot.fakeapi.html import EntityParseError, format_text, parse_html, utf16_len


def test_basic_tags_give_entities() -> None:
    result = format_text("<b>bold</b>, <strong>s</strong> <i>it</i> <em>e</em> <u>u</u>", "HTML")
    assert result.text == "bold, s it e u"
    assert [(e["type"], e["offset"], e["length"]) for e in result.entities] == [
        ("bold", 0, 4),
        ("bold", 6, 1),
        ("italic", 8, 2),
        ("italic", 11, 1),
        ("underline", 13, 1),
    ]


@pytest.mark.parametrize(
    ("html", "kind"),
    [
        ("<ins>x</ins>", "underline"),
        ("<s>x</s>", "strikethrough"),
        ("<strike>x</strike>", "strikethrough"),
        ("<del>x</del>", "strikethrough"),
        ("<tg-spoiler>x</tg-spoiler>", "spoiler"),
        ('<span class="tg-spoiler">x</span>', "spoiler"),
        ("<code>x</code>", "code"),
        ("<pre>x</pre>", "pre"),
        ("<blockquote>x</blockquote>", "blockquote"),
        ("<blockquote expandable>x</blockquote>", "expandable_blockquote"),
        ("<B>x</b>", "bold"),
    ],
)
def test_every_supported_tag(html: str, kind: str) -> None:
    result = format_text(html, "HTML")
    assert result.text == "x"
    assert result.entities == [{"offset": 0, "length": 1, "type": kind}]


def test_links_custom_emoji_and_pre_with_language() -> None:
    result = format_text(
        '<a href="https://example.com">site</a> <tg-emoji emoji-id="5368324170671202286">👍'
        '</tg-emoji> <pre><code class="language-python">x = 1</code></pre>',
        "HTML",
    )
    assert result.text == "site 👍 x = 1"
    assert result.entities == [
        {"offset": 0, "length": 4, "type": "text_link", "url": "https://example.com/"},
        {
            "offset": 5,
            "length": 2,
            "type": "custom_emoji",
            "custom_emoji_id": "5368324170671202286",
        },
        {"offset": 8, "length": 5, "type": "pre", "language": "python"},
    ]


def test_code_class_outside_pre_is_plain_code() -> None:
    result = format_text('<code class="language-sh">ls</code>', "HTML")
    assert result.entities == [{"offset": 0, "length": 2, "type": "code"}]


def test_mention_by_id_needs_a_known_user() -> None:
    user = {"id": 42, "is_bot": False, "first_name": "Bo"}
    known = format_text('<a href="tg://user?id=42">Bo</a>', "HTML", resolve_user=lambda _: user)
    assert known.entities == [{"offset": 0, "length": 2, "type": "text_mention", "user": user}]
    unknown = format_text('<a href="tg://user?id=42">Bo</a>', "HTML", resolve_user=lambda _: None)
    assert unknown.entities == []


def test_html_entities_are_decoded() -> None:
    result = format_text("a &lt; b &gt; c &amp; &quot;q&quot; &#65;&#x42; &#x1F600;", "HTML")
    assert result.text == 'a < b > c & "q" AB 😀'


def test_bare_greater_than_is_allowed_like_telegram() -> None:
    assert format_text("1 > 0", "HTML").text == "1 > 0"


def test_offsets_count_utf16_code_units() -> None:
    # Each of these emoji is outside the BMP: two UTF-16 code units.
    result = format_text("😀😀 <b>x😀y</b> <i>é</i>", "HTML")
    assert result.text == "😀😀 x😀y é"
    assert result.entities == [
        {"offset": 5, "length": 4, "type": "bold"},
        {"offset": 10, "length": 1, "type": "italic"},
    ]
    assert utf16_len("😀") == 2
    assert utf16_len("é") == 1


def test_nested_entities_sorted_like_telegram() -> None:
    result = format_text("<i><b>x</b></i><u>y</u>", "HTML")
    assert [e["type"] for e in result.entities] == ["bold", "italic", "underline"]
    outer = format_text("<b>ab<i>c</i></b>", "HTML")
    assert outer.entities == [
        {"offset": 0, "length": 3, "type": "bold"},
        {"offset": 2, "length": 1, "type": "italic"},
    ]


def test_formatting_inside_code_is_dropped() -> None:
    result = format_text("<code><b>x</b></code>", "HTML")
    assert result.entities == [{"offset": 0, "length": 1, "type": "code"}]


def test_whitespace_is_trimmed_and_blank_entities_vanish() -> None:
    result = format_text("\n  <b> </b>hello <i>world</i>\r\n \n", "HTML")
    assert result.text == "hello world"
    assert result.entities == [{"offset": 6, "length": 5, "type": "italic"}]


def test_leading_space_inside_the_first_entity_is_kept() -> None:
    result = format_text("<code>  x</code>", "HTML")
    assert result.text == "  x"
    assert result.entities == [{"offset": 0, "length": 3, "type": "code"}]


def test_urls_commands_mentions_are_detected() -> None:
    result = format_text("/help or https://example.org/a. Ask @someone #tag", None)
    assert [(e["type"], e["offset"], e["length"]) for e in result.entities] == [
        ("bot_command", 0, 5),
        ("url", 9, 21),
        ("mention", 36, 8),
        ("hashtag", 45, 4),
    ]


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("<p>x</p>", 'Unsupported start tag "p" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ("<a href", 'Unclosed start tag "a" at byte offset 0'),
        ('<a href="x"', "Unclosed start tag at byte offset 0"),
        ('<a ="x">y</a>', 'Empty attribute name in the tag "a" at byte offset 0'),
        ("<a href=x/>y</a>", "Unexpected end of name token at byte offset 8"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ('<tg-emoji emoji-id="x">y</tg-emoji>', "Invalid custom emoji identifier specified"),
        ("é <br>", 'Unsupported start tag "br" at byte offset 3'),
    ],
)
def test_telegram_errors(html: str, message: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(html)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    "html",
    ["Q&A", "<b>fish & chips</b>", '<a href="https://x.se/?a=1&b=2">x</a>', "&nbsp;"],
)
def test_strict_mode_refuses_an_unescaped_ampersand(html: str) -> None:
    with pytest.raises(
        EntityParseError, match='does not start an HTML entity; escape it as "&amp;"'
    ):
        parse_html(html)
    # Telegram itself keeps such an "&" literally.
    assert "&" in repr(parse_html(html, strict=False))


def test_strict_mode_refuses_unsupported_attributes() -> None:
    with pytest.raises(EntityParseError, match='Unsupported attribute "class" in the tag "b"'):
        parse_html('<b class="x">y</b>')
    assert parse_html('<b class="x">y</b>', strict=False).entities == [
        {"offset": 0, "length": 1, "type": "bold"}
    ]
