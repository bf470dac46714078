from __future__ import annotations

from django.core.exceptions import ValidationError

from core.api.errors import api_exception_handler
from core.errors import ProblemsError
from sync.mappings.engine import MappingValidationError
from sync.mappings.engine.problems import SpecProblem


def test_any_problems_error_is_a_400_listing_every_problem() -> None:
    response = api_exception_handler(ProblemsError(["first", "second"]), {})
    assert response is not None and response.status_code == 400
    assert response.data == {"problems": ["first", "second"]}


def test_a_mapping_validation_error_is_one_of_them() -> None:
    problem = SpecProblem(
        object_key="customer", field="name", target="companyName", message="unknown transform"
    )
    response = api_exception_handler(MappingValidationError([problem]), {})
    assert response is not None and response.status_code == 400
    assert response.data == {"problems": ["customer / name / companyName: unknown transform"]}


def test_a_service_refusal_keeps_its_messages() -> None:
    response = api_exception_handler(ValidationError({"reason": ["a reason is required"]}), {})
    assert response is not None and response.status_code == 400
    assert response.data == {"reason": ["a reason is required"]}
