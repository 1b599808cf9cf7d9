"""A client's outbox is bounded: overflow cuts the client off instead of growing."""

from __future__ import annotations

import asyncio

from gateway.subscriptions import Outbox


async def test_messages_come_out_in_order_and_close_ends_the_stream() -> None:
    outbox = Outbox(10, lambda: None)
    outbox.put("a")
    outbox.put("b")
    outbox.close()
    assert [await outbox.get(), await outbox.get(), await outbox.get()] == [
        "a",
        "b",
        None,
    ]


async def test_a_waiting_reader_wakes_on_put() -> None:
    outbox = Outbox(10, lambda: None)
    reader = asyncio.create_task(outbox.get())
    await asyncio.sleep(0)  # let the reader wait
    outbox.put("x")
    assert await reader == "x"


async def test_overflow_calls_back_once_and_drops_what_follows() -> None:
    overflows: list[int] = []
    outbox = Outbox(2, lambda: overflows.append(1))
    for message in "abcde":
        outbox.put(message)
    assert overflows == [1]
    assert outbox.overflowed
    assert len(outbox) == 2
