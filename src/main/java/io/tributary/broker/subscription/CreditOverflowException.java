package io.tributary.broker.subscription;

/** A subscriber granted more credit than a session may hold unspent. */
public final class CreditOverflowException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CreditOverflowException(String kind, long unspent, long granted, long max) {
        super("Credit overflow: " + unspent + " " + kind + " unspent plus " + granted + " granted exceeds the maximum of "
                + max + " " + kind);
    }
}
