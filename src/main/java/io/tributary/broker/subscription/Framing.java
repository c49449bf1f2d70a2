package io.tributary.broker.subscription;

/** How records of a subscription are framed. */
public enum Framing {
    /** One frame per record. */
    RECORD,
    /** Several records of one partition per frame, up to the session's buffer; for throughput. */
    BATCH
}
