package io.herald.api.config;

/** A configuration value that is not allowed. The message names the file, the key, the value and what is allowed. */
public class ConfigurationException extends IllegalArgumentException {
    private final String file;
    private final String key;
    private final String value;
    private final String allowed;

    public ConfigurationException(String file, String key, String value, String allowed) {
        super(file + ": " + key + " = '" + value + "' is not allowed; expected " + allowed);
        this.file = file;
        this.key = key;
        this.value = value;
        this.allowed = allowed;
    }

    public String file() { return file; }
    public String key() { return key; }
    public String value() { return value; }
    public String allowed() { return allowed; }
}
