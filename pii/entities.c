/* entities.c: names and priorities of the PII entity types. */
#include <string.h>

#include "pii/entities.h"

static const struct {
    const char *name;
    int prio; /* overlap tie-break: specific, validated types first */
} tab[BW_PII__N] = {
    [BW_PII_ADDRESS] = {"ADDRESS", 20},
    [BW_PII_AGE] = {"AGE", 10},
    [BW_PII_AWS_ACCESS_KEY] = {"AWS_ACCESS_KEY", 90},
    [BW_PII_AWS_SECRET_KEY] = {"AWS_SECRET_KEY", 85},
    [BW_PII_CA_HEALTH_NUMBER] = {"CA_HEALTH_NUMBER", 40},
    [BW_PII_CA_SOCIAL_INSURANCE_NUMBER] = {"CA_SOCIAL_INSURANCE_NUMBER", 70},
    [BW_PII_CREDIT_DEBIT_CARD_CVV] = {"CREDIT_DEBIT_CARD_CVV", 15},
    [BW_PII_CREDIT_DEBIT_CARD_EXPIRY] = {"CREDIT_DEBIT_CARD_EXPIRY", 30},
    [BW_PII_CREDIT_DEBIT_CARD_NUMBER] = {"CREDIT_DEBIT_CARD_NUMBER", 95},
    [BW_PII_DRIVER_ID] = {"DRIVER_ID", 25},
    [BW_PII_EMAIL] = {"EMAIL", 100},
    [BW_PII_INTERNATIONAL_BANK_ACCOUNT_NUMBER] = {"INTERNATIONAL_BANK_ACCOUNT_NUMBER", 98},
    [BW_PII_IP_ADDRESS] = {"IP_ADDRESS", 80},
    [BW_PII_LICENSE_PLATE] = {"LICENSE_PLATE", 12},
    [BW_PII_MAC_ADDRESS] = {"MAC_ADDRESS", 82},
    [BW_PII_NAME] = {"NAME", 18},
    [BW_PII_PASSWORD] = {"PASSWORD", 50},
    [BW_PII_PHONE] = {"PHONE", 45},
    [BW_PII_PIN] = {"PIN", 14},
    [BW_PII_SWIFT_CODE] = {"SWIFT_CODE", 75},
    [BW_PII_UK_NATIONAL_HEALTH_SERVICE_NUMBER] = {"UK_NATIONAL_HEALTH_SERVICE_NUMBER", 65},
    [BW_PII_UK_NATIONAL_INSURANCE_NUMBER] = {"UK_NATIONAL_INSURANCE_NUMBER", 78},
    [BW_PII_UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER] = {"UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER", 35},
    [BW_PII_URL] = {"URL", 60},
    [BW_PII_USERNAME] = {"USERNAME", 22},
    [BW_PII_US_BANK_ACCOUNT_NUMBER] = {"US_BANK_ACCOUNT_NUMBER", 28},
    [BW_PII_US_BANK_ROUTING_NUMBER] = {"US_BANK_ROUTING_NUMBER", 55},
    [BW_PII_US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER] = {"US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER", 72},
    [BW_PII_US_PASSPORT_NUMBER] = {"US_PASSPORT_NUMBER", 26},
    [BW_PII_US_SOCIAL_SECURITY_NUMBER] = {"US_SOCIAL_SECURITY_NUMBER", 74},
    [BW_PII_VEHICLE_IDENTIFICATION_NUMBER] = {"VEHICLE_IDENTIFICATION_NUMBER", 68},
};

const char *bw_pii_name(int type)
{
    return type >= 0 && type < BW_PII__N ? tab[type].name : NULL;
}

int bw_pii_from_name(const char *name)
{
    int i;

    for (i = 0; i < BW_PII__N; i++)
        if (strcmp(tab[i].name, name) == 0)
            return i;
    return -1;
}

int bw_pii_priority(int type)
{
    return type >= 0 && type < BW_PII__N ? tab[type].prio : 0;
}
