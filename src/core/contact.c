/*
 * contact: the reserved field table and the merge rule of an upsert.
 *
 * Maximum lengths follow SendGrid's ContactRequest schema; where the schema gives none
 * (postal_code, and the read-only fields that SendGrid also accepts on upsert) we chose
 * a bound and documented it in the README, because an unbounded field is an invitation
 * to fill the disk.
 */
#include "core/contact.h"

#include <string.h>

const contact_field_info contact_fields[CF_COUNT] = {
    [CF_EMAIL] = {"email", 254},
    [CF_PHONE_NUMBER_ID] = {"phone_number_id", 16},
    [CF_EXTERNAL_ID] = {"external_id", 254},
    [CF_ANONYMOUS_ID] = {"anonymous_id", 254},
    [CF_FIRST_NAME] = {"first_name", 50},
    [CF_LAST_NAME] = {"last_name", 50},
    [CF_UNIQUE_NAME] = {"unique_name", 254},
    [CF_ADDRESS_LINE_1] = {"address_line_1", 100},
    [CF_ADDRESS_LINE_2] = {"address_line_2", 100},
    [CF_CITY] = {"city", 60},
    [CF_STATE_PROVINCE_REGION] = {"state_province_region", 50},
    [CF_COUNTRY] = {"country", 50},
    [CF_POSTAL_CODE] = {"postal_code", 60},
    [CF_PHONE_NUMBER] = {"phone_number", 100},
    [CF_WHATSAPP] = {"whatsapp", 100},
    [CF_LINE] = {"line", 100},
    [CF_FACEBOOK] = {"facebook", 100},
};

int contact_field_lookup(const char *name)
{
    for (int i = 0; i < CF_COUNT; i++)
        if (strcmp(contact_fields[i].name, name) == 0)
            return i;
    return -1;
}

int contact_identifier_count(const contact *c)
{
    int n = 0;
    for (int t = 0; t < ID_TYPE_COUNT; t++)
        if (c->field[t] && c->field[t][0])
            n++;
    return n;
}

void contact_merge(contact *c, const contact_input *in)
{
    for (int i = 0; i < CF_COUNT; i++)
        if (in->field[i])
            c->field[i] = in->field[i];
    if (in->alternate_emails)
        c->alternate_emails = in->alternate_emails;
}
