import asyncio


async def heartbeat():
    while True:
        await asyncio.sleep(1)


def main():
    loop = asyncio.new_event_loop()
    loop.create_task(heartbeat())
    loop.run_until_complete(asyncio.sleep(0.01))
    loop.close()


main()
