"""Agenda sub-items, computed Vietnamese numbering and reordering (services, no HTTP)."""

from __future__ import annotations

import pytest

from ecabinet.agenda import service as agenda
from ecabinet.agenda.models import AgendaItem
from ecabinet.agenda.numbering import number_items, roman
from ecabinet.agenda.schemas import AgendaItemCreate
from ecabinet.db import Database
from ecabinet.errors import Conflict, Invalid
from ecabinet.live import service as live
from ecabinet.live.state import snapshot
from ecabinet.workspace.duplicate import duplicate_meeting
from tests.factories import MeetingFixture, make_meeting


def outline(database: Database, meeting_id: int) -> list[str]:
    """The agenda as a secretary reads it: "II.1 Title" per item, in order."""
    with database.unit_of_work(write=False) as session:
        items = agenda.numbered(session, meeting_id)
        assert [item.position for item in items] == list(range(len(items)))
        return [f"{item.label} {item.title}" for item in items]


def add(
    database: Database,
    meeting: MeetingFixture,
    title: str,
    parent_id: int | None = None,
    position: int | None = None,
) -> int:
    with database.unit_of_work() as session:
        item = agenda.add_item(
            session,
            actor=meeting.secretary.actor,
            meeting_id=meeting.id,
            data=AgendaItemCreate(title=title, parent_id=parent_id, position=position),
        )
        session.flush()
        assert item.id is not None
        return item.id


def move(
    database: Database, meeting: MeetingFixture, item_id: int, position: int, **kw: int | None
) -> AgendaItem:
    with database.unit_of_work() as session:
        return agenda.move_item(
            session, actor=meeting.secretary.actor, item_id=item_id, position=position, **kw
        )


def two_sections(database: Database) -> tuple[MeetingFixture, dict[str, int]]:
    """I Khai mạc; II Báo cáo (1 Kinh tế, 2 Xã hội); III Bế mạc."""
    meeting = make_meeting(database, items=0)
    ids = {"open": add(database, meeting, "Khai mạc")}
    ids["reports"] = add(database, meeting, "Báo cáo")
    ids["close"] = add(database, meeting, "Bế mạc")
    ids["economy"] = add(database, meeting, "Kinh tế", parent_id=ids["reports"])
    ids["society"] = add(database, meeting, "Xã hội", parent_id=ids["reports"])
    return meeting, ids


def test_roman_numerals() -> None:
    assert [roman(n) for n in (1, 2, 3, 4, 5, 9, 14, 40, 49, 90, 400, 500)] == [
        "I", "II", "III", "IV", "V", "IX", "XIV", "XL", "XLIX", "XC", "CD", "D",
    ]  # fmt: skip
    with pytest.raises(ValueError, match="start at 1"):
        roman(0)


def test_numbers_restart_under_each_section() -> None:
    class Row:
        def __init__(self, id: int, parent_id: int | None) -> None:
            self.id, self.parent_id = id, parent_id

    rows = [Row(1, None), Row(2, 1), Row(3, 1), Row(4, None), Row(5, None), Row(6, 5)]
    numbers = number_items(rows)
    assert [numbers[r.id].number for r in rows] == ["I", "1", "2", "II", "III", "1"]
    assert [numbers[r.id].label for r in rows] == ["I", "I.1", "I.2", "II", "III", "III.1"]
    assert [numbers[r.id].depth for r in rows] == [0, 1, 1, 0, 0, 1]


def test_sub_items_sit_under_their_section_and_are_numbered(database: Database) -> None:
    meeting, _ids = two_sections(database)
    assert outline(database, meeting.id) == [
        "I Khai mạc",
        "II Báo cáo",
        "II.1 Kinh tế",
        "II.2 Xã hội",
        "III Bế mạc",
    ]


def test_adding_at_a_position_among_siblings(database: Database) -> None:
    meeting, ids = two_sections(database)
    add(database, meeting, "Quốc phòng", parent_id=ids["reports"], position=0)
    add(database, meeting, "Điểm danh", position=0)
    assert outline(database, meeting.id) == [
        "I Điểm danh",
        "II Khai mạc",
        "III Báo cáo",
        "III.1 Quốc phòng",
        "III.2 Kinh tế",
        "III.3 Xã hội",
        "IV Bế mạc",
    ]


def test_moving_a_section_moves_its_sub_items(database: Database) -> None:
    meeting, ids = two_sections(database)
    move(database, meeting, ids["reports"], 2)
    assert outline(database, meeting.id) == [
        "I Khai mạc",
        "II Bế mạc",
        "III Báo cáo",
        "III.1 Kinh tế",
        "III.2 Xã hội",
    ]


def test_moving_a_sub_item_within_and_across_sections(database: Database) -> None:
    meeting, ids = two_sections(database)
    move(database, meeting, ids["society"], 0)
    assert outline(database, meeting.id)[2:4] == ["II.1 Xã hội", "II.2 Kinh tế"]
    move(database, meeting, ids["economy"], 0, parent_id=ids["close"])
    assert outline(database, meeting.id) == [
        "I Khai mạc",
        "II Báo cáo",
        "II.1 Xã hội",
        "III Bế mạc",
        "III.1 Kinh tế",
    ]
    move(database, meeting, ids["society"], 0, parent_id=None)
    assert outline(database, meeting.id) == [
        "I Xã hội",
        "II Khai mạc",
        "III Báo cáo",
        "IV Bế mạc",
        "IV.1 Kinh tế",
    ]


def test_only_one_level_of_sub_items(database: Database) -> None:
    meeting, ids = two_sections(database)
    with pytest.raises(Invalid) as under_sub_item:
        add(database, meeting, "Cấp ba", parent_id=ids["economy"])
    assert under_sub_item.value.code == "agenda_too_deep"
    with pytest.raises(Invalid) as section_under_section:
        move(database, meeting, ids["reports"], 0, parent_id=ids["open"])
    assert section_under_section.value.code == "agenda_too_deep"
    with pytest.raises(Invalid) as under_itself:
        move(database, meeting, ids["open"], 0, parent_id=ids["open"])
    assert under_itself.value.code == "agenda_too_deep"
    before = outline(database, meeting.id)
    assert before[1:4] == ["II Báo cáo", "II.1 Kinh tế", "II.2 Xã hội"]


def test_a_parent_from_another_meeting_is_refused(database: Database) -> None:
    meeting, _ids = two_sections(database)
    _other, other_ids = two_sections(database)
    with pytest.raises(Invalid) as refused:
        add(database, meeting, "Lạc sang", parent_id=other_ids["reports"])
    assert refused.value.code == "agenda_parent_invalid"
    assert refused.value.field == "parent_id"
    assert len(outline(database, meeting.id)) == 5


def test_a_position_that_does_not_exist_is_a_clear_error(database: Database) -> None:
    meeting, ids = two_sections(database)
    with pytest.raises(Invalid) as refused:
        move(database, meeting, ids["economy"], 2)
    assert refused.value.code == "position_out_of_range"
    assert "chọn từ 1 đến 2" in refused.value.message
    with pytest.raises(Invalid):
        add(database, meeting, "Quá xa", position=4)
    move(database, meeting, ids["economy"], 1)  # the last place among two sub-items exists
    assert outline(database, meeting.id)[2:4] == ["II.1 Xã hội", "II.2 Kinh tế"]


def test_nudges_are_the_keyboard_way_to_drag(database: Database) -> None:
    meeting, ids = two_sections(database)

    def nudge(item: str, step: agenda.Nudge) -> None:
        with database.unit_of_work() as session:
            agenda.nudge_item(session, actor=meeting.secretary.actor, item_id=ids[item], step=step)

    nudge("close", agenda.Nudge.INDENT)  # under "Báo cáo", last
    assert outline(database, meeting.id)[-1] == "II.3 Bế mạc"
    nudge("close", agenda.Nudge.UP)
    assert outline(database, meeting.id)[2:5] == ["II.1 Kinh tế", "II.2 Bế mạc", "II.3 Xã hội"]
    nudge("close", agenda.Nudge.OUTDENT)  # right after its former section
    assert outline(database, meeting.id)[-1] == "III Bế mạc"
    nudge("reports", agenda.Nudge.UP)
    assert outline(database, meeting.id)[:2] == ["I Báo cáo", "I.1 Kinh tế"]
    for impossible in (("reports", agenda.Nudge.UP), ("reports", agenda.Nudge.INDENT)):
        with pytest.raises(Invalid):
            nudge(*impossible)
    with pytest.raises(Invalid) as has_children:
        nudge("open", agenda.Nudge.OUTDENT)
    assert has_children.value.code == "agenda_parent_invalid"


def test_deleting_a_section_deletes_its_sub_items(database: Database) -> None:
    meeting, ids = two_sections(database)
    with database.unit_of_work() as session:
        agenda.delete_item(session, actor=meeting.secretary.actor, item_id=ids["reports"])
    assert outline(database, meeting.id) == ["I Khai mạc", "II Bế mạc"]


def test_the_section_holding_the_current_item_cannot_be_deleted(database: Database) -> None:
    meeting, ids = two_sections(database)
    with database.unit_of_work() as session:
        live.start_meeting(session, actor=meeting.chair.actor, meeting_id=meeting.id)
        live.jump_to(
            session, actor=meeting.chair.actor, meeting_id=meeting.id, item_id=ids["economy"]
        )
    with pytest.raises(Conflict) as refused, database.unit_of_work() as session:
        agenda.delete_item(session, actor=meeting.secretary.actor, item_id=ids["reports"])
    assert refused.value.code == "agenda_item_is_current"
    assert len(outline(database, meeting.id)) == 5


def test_the_chair_steps_through_sub_items_in_reading_order(database: Database) -> None:
    meeting, ids = two_sections(database)
    seen = []
    with database.unit_of_work() as session:
        live.start_meeting(session, actor=meeting.chair.actor, meeting_id=meeting.id)
    for _ in range(4):
        with database.unit_of_work() as session:
            state = snapshot(session, meeting.id)
            assert state is not None
            seen.append(state.shared["current_item_id"])
            live.step(session, actor=meeting.chair.actor, meeting_id=meeting.id, delta=1)
    assert seen == [ids["open"], ids["reports"], ids["economy"], ids["society"]]


def test_tablets_get_numbers_and_levels(database: Database) -> None:
    meeting, ids = two_sections(database)
    with database.unit_of_work(write=False) as session:
        state = snapshot(session, meeting.id)
    assert state is not None
    items = state.shared["items"]
    assert [(i["number"], i["label"], i["parent_id"]) for i in items] == [
        ("I", "I", None),
        ("II", "II", None),
        ("1", "II.1", ids["reports"]),
        ("2", "II.2", ids["reports"]),
        ("III", "III", None),
    ]


def test_a_duplicated_meeting_keeps_its_sections(database: Database) -> None:
    meeting, ids = two_sections(database)
    # A sub-item older than its section: its parent gets a later id in the copy too.
    move(database, meeting, ids["open"], 0, parent_id=ids["close"])
    with database.unit_of_work() as session:
        copy = duplicate_meeting(session, actor=meeting.secretary.actor, meeting_id=meeting.id)
        copy_id = copy.id
    assert copy_id is not None
    assert outline(database, copy_id) == outline(database, meeting.id)
