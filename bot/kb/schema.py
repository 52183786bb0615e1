"""The knowledge base's file formats, validated with pydantic.

These classes describe what staff write in YAML. Unknown fields are errors, so a misspelt
field name never silently drops content.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
)
from pydantic_core import PydanticCustomError

from bot.kb.knowledge import NOTICE_ID_PREFIX
from bot.types import Country, Lang, Situation

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=40),
]
# The error type `kb check` words as "kept for live notices".
RESERVED_ID = "reserved_id"


def _not_a_notice_id(value: str) -> str:
    if value.startswith(NOTICE_ID_PREFIX):
        raise PydanticCustomError(RESERVED_ID, "kept for live notices")
    return value


# An entry's id: a slug that no live notice's id (`notice-<n>`) can be.
EntryId = Annotated[Slug, AfterValidator(_not_a_notice_id)]

# The two shapes of a field that takes one id or a list of them. The tags name the shape in
# pydantic's error locations; the loader leaves them out of what staff read.
ONE_TAG, LIST_TAG = "<one>", "<list>"
UNION_TAGS = frozenset({ONE_TAG, LIST_TAG})


def _one_or_list(value: object) -> str:
    """Validate a list as a list and anything else as one id: one error, not one per shape."""
    return LIST_TAG if isinstance(value, list) else ONE_TAG


# At least one: an empty list would be an answer with no document behind it.
SlugOrSlugs = Annotated[
    Annotated[Slug, Tag(ONE_TAG)] | Annotated[list[Slug], Field(min_length=1), Tag(LIST_TAG)],
    Discriminator(_one_or_list),
]


# What `python -m bot kb reviewed` writes: eight hex digits of each answer's hash.
ReviewHash = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9a-f]{8}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class MunicipalityFile(_Strict):
    """`<slug>/municipality.yaml`: who the municipality is and which topic files it has."""

    id: Slug
    name: dict[Lang, Text]
    country: Country
    language: Literal["nb", "sv"]
    phone: Text | None = None
    website: Text | None = None
    aliases: list[Text] = []
    files: list[Text]
    # The municipality's own staff chat and volunteer group (Telegram group ids); the
    # environment's STAFF_CHAT_ID_<ID> and VOLUNTEER_CHAT_ID_<ID> win over these.
    staff_chat: int | None = None
    volunteer_chat: int | None = None


class SharedFile(_Strict):
    """`shared/shared.yaml`: the topic files that hold national entries."""

    files: list[Text]


class TopicModel(_Strict):
    title: dict[Lang, Text]
    icon: Text | None = None


class TopicsFile(_Strict):
    """`shared/topics.yaml`: the topics used for menus."""

    topics: dict[Slug, TopicModel]


class SourceModel(_Strict):
    title: Text
    publisher: Text
    published: date | None = None
    file: Text | None = None


class SourcesFile(_Strict):
    """`shared/sources.yaml`: the documents the answers come from."""

    sources: dict[Slug, SourceModel]


class EmergencyNumberModel(_Strict):
    number: Text
    label: dict[Lang, Text]
    urgent: bool = False
    situations: list[Situation] = []


class CountryEmergencyModel(_Strict):
    numbers: list[EmergencyNumberModel]


class EmergencyFile(_Strict):
    """`shared/emergency.yaml`: the numbers the fixed emergency reply gives, per country."""

    countries: dict[Country, CountryEmergencyModel]


class EntryModel(_Strict):
    """One question-and-answer entry in a topic file."""

    id: EntryId
    topic: Slug
    title: dict[Lang, Text]
    questions: dict[Lang, list[Text]]
    keywords: dict[Lang, list[Text]] = {}
    answer: dict[Lang, Text]
    source: SlugOrSlugs
    reviewed: date
    review_by: date | None = None
    reviewed_hashes: dict[Lang, ReviewHash] = {}
    related: list[Slug] = []
    countries: list[Country] | None = None
