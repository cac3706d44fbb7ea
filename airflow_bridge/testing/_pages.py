"""HTML pages the servers (or a proxy in front of them) answer with instead of JSON."""

from __future__ import annotations

from http import HTTPStatus

AIRFLOW2_404 = """

<!DOCTYPE html>
<html lang="en">
  <head>
    <title>Airflow 404</title>
    <link rel="icon" type="image/png" href="/static/pin_32.png">
  </head>
  <body>
    <div style="font-family: verdana; text-align: center; margin-top: 200px;">
      <img src="/static/pin_100.png" width="50px" alt="pin-logo" />
      <h1>Airflow 404</h1>
      <p>Page cannot be found.</p>
      <a href="/">Return to the main page</a>
      <p></p>
    </div>
  </body>
</html>"""


def airflow2_500(version: str) -> str:
    """Airflow 2's page for an unhandled exception in a view."""
    return f"""

<!DOCTYPE html>
<html lang="en">
  <body>
    <div class="container">
      <h1> Ooops! </h1>
      <div>
          <pre>
Something bad has happened. For security reasons detailed information about the error is not logged.

Airflow version: {version}
Node: redacted
-------------------------------------------------------------------------------
Error! Please contact server admin.</pre>
      </div>
    </div>
  </body>
</html>"""


AIRFLOW3_INDEX = """<!doctype html>
<html lang="en">
  <head><meta charset="UTF-8" /><title>Airflow</title></head>
  <body><div id="root"></div></body>
</html>"""


def proxy_error(status: int) -> str:
    """What a reverse proxy shows when Airflow behind it cannot answer."""
    title = f"{status} {HTTPStatus(status).phrase}"
    return (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
