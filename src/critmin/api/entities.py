"""Placeholder router: filled in by the entities endpoints."""

from fastapi import APIRouter

router = APIRouter()
