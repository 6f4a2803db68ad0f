import asyncio

import pytest
import pytest_asyncio


class Client:
    def __init__(self):
        self.loop = asyncio.get_running_loop()

    async def get(self):
        fut = self.loop.create_future()
        self.loop.call_soon(fut.set_result, 1)
        return await fut


@pytest_asyncio.fixture(scope="session")
async def client():
    return Client()


@pytest.mark.asyncio
async def test_first(client):
    assert await client.get() == 1
