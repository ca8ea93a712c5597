"""A realistic demo team: B2B leads with profiles, activity histories and some known outcomes.

Conversion follows a hidden logic (industry, seniority, size, pricing visits, demos,
meetings, recency), so the model has something real to learn.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

INDUSTRIES = {
    "software": 0.6,
    "logistics": 0.4,
    "manufacturing": 0.1,
    "healthcare": 0.0,
    "finance": 0.2,
    "retail": -0.6,
    "education": -0.8,
    "energy": -0.1,
}
SENIORITY = {"c-level": 0.7, "vp": 0.6, "director": 0.4, "manager": 0.0, "individual contributor": -0.7}
TITLES = {
    "c-level": ["CEO", "CFO", "COO", "CTO", "Chief Revenue Officer"],
    "vp": ["VP Sales", "VP Operations", "VP Engineering", "VP Marketing"],
    "director": ["Director of Operations", "IT Director", "Director of Procurement", "Sales Director"],
    "manager": ["Operations Manager", "IT Manager", "Procurement Manager", "Marketing Manager"],
    "individual contributor": ["Analyst", "Engineer", "Coordinator", "Specialist"],
}
DEPARTMENTS = ["sales", "operations", "it", "finance", "marketing", "procurement"]
COUNTRIES = ["United States", "United Kingdom", "Germany", "France", "Canada", "Netherlands", "Australia", "Spain"]
SOURCES = {
    "referral": 0.7,
    "event": 0.3,
    "webinar": 0.2,
    "organic search": 0.1,
    "paid search": -0.2,
    "outbound": -0.5,
    "partner": 0.3,
}
SIZES = ["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000"]
SIZE_EFFECT = [-0.9, -0.3, 0.2, 0.4, 0.3, 0.1]
ACTIVITY = {  # activity type: (mean count for an engaged lead, weight on conversion)
    "email_open": (4.0, 0.05),
    "email_click": (1.5, 0.15),
    "page_visit": (3.0, 0.08),
    "pricing_visit": (0.8, 0.55),
    "download": (0.7, 0.2),
    "webinar": (0.4, 0.3),
    "demo_request": (0.25, 0.9),
    "meeting": (0.4, 0.7),
    "call": (0.8, 0.2),
}
NAME_A = [
    "North",
    "Blue",
    "Bright",
    "Iron",
    "Silver",
    "Green",
    "Summit",
    "Harbor",
    "Pioneer",
    "Atlas",
    "Cedar",
    "Vertex",
    "Apex",
    "Nova",
    "Granite",
    "River",
]
NAME_B = ["wind", "field", "stone", "bridge", "path", "point", "gate", "line", "wave", "works", "peak", "light"]
NAME_C = ["Systems", "Group", "Partners", "Industries", "Holdings", "Co"]  # fit any industry
KINDS = {  # words a company of the industry would have in its name
    "software": ["Software", "Labs", "Analytics", "Cloud"],
    "logistics": ["Logistics", "Freight", "Transport"],
    "manufacturing": ["Manufacturing", "Works", "Components"],
    "healthcare": ["Health", "Medical", "Care"],
    "finance": ["Capital", "Financial", "Bank"],
    "retail": ["Retail", "Stores", "Outlet"],
    "education": ["Learning", "Academy", "Education"],
    "energy": ["Energy", "Power", "Renewables"],
}
NAME_DRAW = 12  # each name draws its last word from 0..11 (the demo's random stream stays as it was)


def _company(rng: np.random.Generator, industry: str) -> str:
    first, second = (part[rng.integers(len(part))] for part in (NAME_A, NAME_B))
    kinds = NAME_C + KINDS.get(industry, [])
    return f"{first}{second} {kinds[int(rng.integers(NAME_DRAW)) % len(kinds)]}"


@dataclass
class DemoData:
    leads: list[dict[str, str]]
    activities: list[dict[str, str]]
    probabilities: list[float] = field(default_factory=list)  # each lead's hidden P(convert)


def generate(*, n_leads: int = 400, labeled_share: float = 0.3, seed: int = 7, now: datetime) -> DemoData:
    rng = np.random.default_rng(seed)
    leads: list[dict[str, str]] = []
    activities: list[dict[str, str]] = []
    probabilities: list[float] = []
    industries, seniorities, sources = list(INDUSTRIES), list(SENIORITY), list(SOURCES)
    for i in range(n_leads):
        industry = industries[rng.integers(len(industries))]
        seniority = seniorities[rng.choice(len(seniorities), p=[0.08, 0.14, 0.22, 0.3, 0.26])]
        source = sources[rng.integers(len(sources))]
        size = int(rng.choice(len(SIZES), p=[0.1, 0.2, 0.25, 0.2, 0.15, 0.1]))
        created = now - timedelta(days=float(rng.uniform(3, 120)))
        engagement = rng.gamma(1.5, 0.7)
        logit = -1.6 + INDUSTRIES[industry] + SENIORITY[seniority] + SOURCES[source] + SIZE_EFFECT[size]
        last_seen = None
        age_days = (now - created).days
        for kind, (mean, weight) in ACTIVITY.items():
            count = int(rng.poisson(mean * engagement))
            logit += weight * min(count, 4)
            for _ in range(count):
                at = created + timedelta(days=float(rng.uniform(0, max(age_days, 1))), hours=float(rng.uniform(8, 18)))
                at = at.replace(microsecond=0)
                if at > now:  # working hours of today that have not come yet: the day before
                    at -= timedelta(days=1)
                activities.append({"lead": f"L{i + 1:05d}", "type": kind, "occurred_at": at.isoformat()})
                last_seen = at if last_seen is None or at > last_seen else last_seen
        if last_seen is not None:
            logit -= 0.015 * (now - last_seen).days
        p = 1 / (1 + math.exp(-logit))
        probabilities.append(p)
        outcome = ""
        if rng.random() < labeled_share:
            outcome = "converted" if rng.random() < p else "not_converted"
        leads.append(
            {
                "external_id": f"L{i + 1:05d}",
                "company": _company(rng, industry),
                "industry": industry,
                "employees": SIZES[size],
                "title": TITLES[seniority][rng.integers(len(TITLES[seniority]))],
                "seniority": seniority,
                "department": DEPARTMENTS[rng.integers(len(DEPARTMENTS))],
                "country": COUNTRIES[rng.integers(len(COUNTRIES))],
                "source": source,
                "created_at": created.date().isoformat(),
                "deal_value": str(int(rng.lognormal(math.log(8000 * (1 + size)), 0.5)) // 100 * 100),
                "crm_stage": ["new", "contacted", "engaged", "qualified"][min(3, int(engagement * 1.5))],
                "outcome": outcome,
            }
        )
    return DemoData(leads=leads, activities=activities, probabilities=probabilities)
