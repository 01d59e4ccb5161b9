-- case: filter_string_ordered_ops
-- between and < on strings without an enum (text order), and is not null on a tag.
SELECT
  accounts.account_name AS account_name,
  COUNT(*) AS resource_count
FROM inventory.resources AS resources
LEFT JOIN inventory.accounts AS accounts
  ON accounts.account_id = resources.account_id
WHERE
  accounts.account_name BETWEEN %(account_name_low)s AND %(account_name_high)s
  AND resources.name < %(resource_name)s
  AND NOT resources.tags ->> %(tag_key_owner)s IS NULL
GROUP BY
  accounts.account_name
ORDER BY
  account_name
-- params: {"account_name_high": "payments-staging", "account_name_low": "marketing-dev", "resource_name": "payments-prod", "tag_key_owner": "owner"}
