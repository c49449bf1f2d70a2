package io.tributary.config;

/**
 * A broker setting has a value the broker cannot run with. The message always names the property,
 * the rejected value and what would be accepted, because it is the first thing an operator sees
 * when start-up stops.
 */
public final class InvalidBrokerConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String property;

    public InvalidBrokerConfigException(String property, String value, String expectation) {
        super("Invalid value '" + value + "' for broker property '" + property + "': " + expectation);
        this.property = property;
    }

    public String property() {
        return property;
    }
}
