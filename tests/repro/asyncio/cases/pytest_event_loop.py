import pytest


@pytest.mark.asyncio
async def test_schedule(event_loop):
    fut = event_loop.create_future()
    event_loop.call_soon(fut.set_result, 1)
    assert await fut == 1
