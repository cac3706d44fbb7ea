"""`airflow_client.client.exceptions` (3.x names)."""

from airflow_bridge.compat._errors import ApiAttributeError as ApiAttributeError
from airflow_bridge.compat._errors import ApiException as ApiException
from airflow_bridge.compat._errors import ApiKeyError as ApiKeyError
from airflow_bridge.compat._errors import ApiTypeError as ApiTypeError
from airflow_bridge.compat._errors import ApiValueError as ApiValueError
from airflow_bridge.compat._errors import BadRequestException as BadRequestException
from airflow_bridge.compat._errors import ConflictException as ConflictException
from airflow_bridge.compat._errors import ForbiddenException as ForbiddenException
from airflow_bridge.compat._errors import NotFoundException as NotFoundException
from airflow_bridge.compat._errors import OpenApiException as OpenApiException
from airflow_bridge.compat._errors import ServiceException as ServiceException
from airflow_bridge.compat._errors import UnauthorizedException as UnauthorizedException
from airflow_bridge.compat._errors import (
    UnprocessableEntityException as UnprocessableEntityException,
)
