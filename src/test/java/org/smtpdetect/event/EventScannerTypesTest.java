package org.smtpdetect.event;

/** {@link EventParserTypesTest}'s text, wildcard and flattened cases from the scanner. */
class EventScannerTypesTest extends EventParserTypesTest {
    @Override
    EventReader reader(FieldSchema schema) {
        return new EventScanner(schema);
    }
}
