from ggzy.cli import app

app()
