/*
 * entities.h: the 31 PII entity types of Bedrock Guardrails, in the order
 * of Bedrock's enum, with the masks ANONYMIZE writes ("{EMAIL}").
 */
#ifndef BW_PII_ENTITIES_H
#define BW_PII_ENTITIES_H

#include "filters/bw.h"

enum bw_pii_type {
    BW_PII_ADDRESS = 0,
    BW_PII_AGE,
    BW_PII_AWS_ACCESS_KEY,
    BW_PII_AWS_SECRET_KEY,
    BW_PII_CA_HEALTH_NUMBER,
    BW_PII_CA_SOCIAL_INSURANCE_NUMBER,
    BW_PII_CREDIT_DEBIT_CARD_CVV,
    BW_PII_CREDIT_DEBIT_CARD_EXPIRY,
    BW_PII_CREDIT_DEBIT_CARD_NUMBER,
    BW_PII_DRIVER_ID,
    BW_PII_EMAIL,
    BW_PII_INTERNATIONAL_BANK_ACCOUNT_NUMBER,
    BW_PII_IP_ADDRESS,
    BW_PII_LICENSE_PLATE,
    BW_PII_MAC_ADDRESS,
    BW_PII_NAME,
    BW_PII_PASSWORD,
    BW_PII_PHONE,
    BW_PII_PIN,
    BW_PII_SWIFT_CODE,
    BW_PII_UK_NATIONAL_HEALTH_SERVICE_NUMBER,
    BW_PII_UK_NATIONAL_INSURANCE_NUMBER,
    BW_PII_UK_UNIQUE_TAXPAYER_REFERENCE_NUMBER,
    BW_PII_URL,
    BW_PII_USERNAME,
    BW_PII_US_BANK_ACCOUNT_NUMBER,
    BW_PII_US_BANK_ROUTING_NUMBER,
    BW_PII_US_INDIVIDUAL_TAX_IDENTIFICATION_NUMBER,
    BW_PII_US_PASSPORT_NUMBER,
    BW_PII_US_SOCIAL_SECURITY_NUMBER,
    BW_PII_VEHICLE_IDENTIFICATION_NUMBER,
    BW_PII__N
};

/* "EMAIL" for BW_PII_EMAIL; NULL when out of range. */
const char *bw_pii_name(int type);
/* BW_PII_* for a Bedrock name, or -1. */
int bw_pii_from_name(const char *name);
/* Overlap tie-break: more specific types rank higher. */
int bw_pii_priority(int type);

#endif
