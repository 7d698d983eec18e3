"""A mistyped room is caught, not silently a new room (issue 18): staff typed
``--room Room101`` where the venue has "Room 101", the sweep started a room of its own,
and ``history --room`` / ``report --room`` then printed nothing and exited 0."""
import pytest

from sweeper.config import parse_config
from sweeper.errors import InputError
from sweeper.findings import SweepResult
from sweeper.venue.history import HistoryStore
from sweeper.venue.recorder import Venue
from sweeper.venue.rooms import check_history_room, check_sweep_room

HOTEL = parse_config('venue:\n  room: "Room 101"\n  rooms: ["Room 102", "2F east restroom"]\n').venue
MOUNTED = parse_config('venue:\n  room: "Room 101"\n').venue


@pytest.mark.parametrize("typed", ["Room101", "room 101", "ROOM 101 "])
def test_a_declared_room_mistyped_in_case_or_spaces_is_refused_with_the_right_one(typed):
    for venue in (HOTEL, MOUNTED):
        with pytest.raises(InputError, match="did you mean 'Room 101'"):
            check_sweep_room(typed, venue)


def test_with_venue_rooms_only_those_rooms_label_a_sweep():
    assert check_sweep_room("Room 102", HOTEL) == "Room 102"
    with pytest.raises(InputError, match=r"did you mean 'Room 102'\? \(rooms: 'Room 101', 'Room 102'"):
        check_sweep_room("Room 120", HOTEL)
    with pytest.raises(InputError, match="add it to venue.rooms"):
        check_sweep_room("Lobby", HOTEL)
    assert check_sweep_room("Lobby", MOUNTED) == "Lobby"  # no declared list: a timer may label any room


def test_history_filters_name_only_rooms_with_sweeps():
    assert check_history_room("Room 101", ["Room 101", "Room 102"]) == "Room 101"
    with pytest.raises(InputError, match=r"no sweeps of room 'Room101': did you mean 'Room 101'\?"):
        check_history_room("Room101", ["Room 101", "Room 102"])
    with pytest.raises(InputError, match="has no sweeps yet"):
        check_history_room("Room 101", [])


@pytest.fixture
def venue_files(tmp_path):
    history = tmp_path / "history.db"
    conf = tmp_path / "sweeper.yaml"
    conf.write_text(f'history:\n  path: {history}\nvenue:\n  room: "Room 101"\n  rooms: ["Room 102"]\n')
    cfg = parse_config(conf.read_text())
    with HistoryStore(str(history)) as store:
        Venue(cfg, store=store).record(SweepResult("CLEAR", []), "Room 101", "button", {"RF": "ok"}, 1.7e9, 1.7e9 + 20)
    return conf


@pytest.mark.parametrize("command", [["history"], ["report", "--format", "csv"], ["run", "--once"],
                                     ["trigger"]])
def test_commands_refuse_a_typo_in_one_line_with_exit_2(cli, venue_files, command):
    rc, out, err = cli("--config", str(venue_files), *command, "--room", "Room101")
    assert rc == 2 and out == ""
    assert err.count("\n") == 1 and "did you mean 'Room 101'" in err, err


def test_the_right_room_still_shows_its_sweeps(cli, venue_files):
    rc, out, err = cli("--config", str(venue_files), "history", "--room", "Room 101")
    assert rc == 0, err
    assert "Room 101" in out and "CLEAR" in out
