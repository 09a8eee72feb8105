package org.smtpdetect.connectors.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ElasticsearchVersionTest {
    @ParameterizedTest
    @CsvSource({
        "7.17.29, true", "7.17.0, true", "8.0.0, true", "8.19.21, true", "9.2.8, true", "9.0.0-beta1, true",
        "7.16.3, false", "7.10.2, false", "6.8.23, false", "10.0.0, false",
    })
    void supportsSevenSeventeenEightAndNine(String number, boolean supported) {
        ElasticsearchVersion v = ElasticsearchVersion.parse(number);
        assertThat(v.isSupported()).isEqualTo(supported);
        assertThat(v.exact()).isTrue();
        assertThat(number).startsWith(v.toString());
    }

    @ParameterizedTest
    @CsvSource({"7, true", "8, true", "9, true", "6, false", "10, false"})
    void aMajorAloneIsJudgedByTheMajor(int major, boolean supported) {
        ElasticsearchVersion v = new ElasticsearchVersion(major, 0, 0, false);
        assertThat(v.isSupported()).isEqualTo(supported);
        assertThat(v).hasToString(major + ".x");
    }

    @ParameterizedTest
    @CsvSource({"''", "8", "eight.0.0", "8.1"})
    void rejectsWhatIsNotAVersionNumber(String number) {
        assertThatThrownBy(() -> ElasticsearchVersion.parse(number)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not an Elasticsearch version number");
    }
}
