"""Dates are asked with the browser's date picker (yyyy-mm-dd) and still taken as dd/mm/yyyy when typed."""

from datetime import date

import pytest
from helpers import SCHOOL_A
from test_activities import LIST_A, activities_of, activity_form

from aiplan.inspections.forms import DecisionForm


@pytest.mark.parametrize(
    ("starts", "ends"), [("2026-03-02", "2026-03-27"), ("02/03/2026", "27/03/2026"), ("2.3.2026", "2026-03-27")]
)
def test_an_activity_takes_its_dates_from_the_picker_or_typed_by_hand(app, as_persona, starts, ends):
    response = as_persona("staff_a").post(LIST_A, data=activity_form(app, starts_on=starts, ends_on=ends))

    assert response.status_code == 302
    with app.app_context():
        (activity,) = activities_of(SCHOOL_A)
        assert (activity.starts_on, activity.ends_on) == (date(2026, 3, 2), date(2026, 3, 27))


@pytest.mark.parametrize("typed", ["2026/03/02", "2026-3-2", "2026-02-30", "mai", "02/03/26"])
def test_anything_else_is_refused_with_the_same_vietnamese_message(app, as_persona, typed):
    response = as_persona("staff_a").post(LIST_A, data=activity_form(app, starts_on=typed))

    assert response.status_code == 422
    assert "Ngày không hợp lệ: nhập theo dạng ngày/tháng/năm" in response.get_data(as_text=True)
    with app.app_context():
        assert activities_of(SCHOOL_A) == []


def test_a_date_field_is_a_date_input_showing_an_iso_value(app):
    with app.test_request_context(method="POST", data={"signed_on": "05/01/2026"}):
        form = DecisionForm()
        html = str(form.signed_on())
    assert 'type="date"' in html and 'value="2026-01-05"' in html
