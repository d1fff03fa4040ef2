"""The offtake page over real HTTP: the worked examples' buyer costs, the producer's
revenue with and without the floor and the retrofit ranking, the same numbers as the
service and the API give for the same spec and seed."""

from __future__ import annotations

import json
import re

import pytest
from web_support import running

import live_http
from critmin.services import offtake as service
from critmin.web.offtake import EXAMPLES, SEED, buyer_figure


@pytest.fixture(scope="module")
def site(bundled_db_url):
    with running(bundled_db_url) as base, live_http.client(base_url=base, timeout=60) as client:
        yield client


def test_page_shows_the_worked_examples(site):
    r = site.get("/offtake")
    assert r.status_code == 200, r.text
    html = r.text
    sim = service.simulate(EXAMPLES / "gallium_consortium.yaml", seed=SEED)
    ret = service.retrofit(EXAMPLES / "retrofits.yaml", seed=SEED)
    assert 'href="/offtake" aria-current="page"' in html
    for b in sim["buyers"]:
        assert b["name"] in html
        assert f'{b["cost_usd"]["mean"] / 1e6:.2f}' in html
    assert (f'id="floor-value">{sim["consortium"]["floor_option_value_usd"] / 1e6:.2f} M USD'
            in html)
    ranking = html[html.index('id="retrofit-ranking"'):]
    names = re.findall(r'<th scope="row">([^<]+)</th>', ranking.split("</table>")[0])
    assert names == [c["name"] for c in ret["candidates"]]
    data = json.loads(re.search(r'id="chart-offtake-buyers-data">(.*?)</script>', html,
                                re.S).group(1))
    assert data == json.loads(json.dumps(buyer_figure(sim)))
    api = site.post("/api/v1/offtake/simulate", params={"seed": SEED},
                    content=(EXAMPLES / "gallium_consortium.yaml").read_bytes())
    assert api.json()["buyers"] == json.loads(json.dumps(sim["buyers"]))
