"""``python -m polyinfra``."""

if __name__ == "__main__":
    from polyinfra.cli.main import run

    run()
