package io.tributary.api.rest;

/** The body of every error answer: {@code {"error_code": 404, "message": "..."}}. */
public record ErrorResponse(int errorCode, String message) {
}
