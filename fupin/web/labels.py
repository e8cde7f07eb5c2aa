"""Labels of registry fields on the pages (字段名称), and which code list (代码表) each coded field uses.

The model's verbose names are bilingual for the admin ("户主姓名 head"); the pages show one language,
so the labels here are English msgids translated in ``fupin/locale``. Forms, the detail page and the
history (变更记录) all take their labels from here, so a field is named the same way everywhere.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

HOUSEHOLD_LABELS = {
    "household_number": _("Household number"),
    "village": _("Village"),
    "province_code": _("Province code"),
    "city_code": _("City code"),
    "county_code": _("County code"),
    "township_code": _("Township code"),
    "village_code": _("Village code"),
    "group_name": _("Group (natural village)"),
    "address": _("Address"),
    "head_name": _("Head of household"),
    "phone": _("Phone"),
    "bank_name": _("Bank"),
    "bank_account": _("Bank account"),
    "identification_standard": _("Identification standard"),
    "category": _("Household category"),
    "category_form_version": _("Category form version"),
    "main_cause": _("Main cause of poverty"),
    "other_cause_1": _("Other cause of poverty (1)"),
    "other_cause_2": _("Other cause of poverty (2)"),
    "is_military_family": _("Military or martyr family"),
    "is_only_child": _("One-child household"),
    "is_two_daughters": _("Two-daughter household"),
    "arable_mu": _("Arable land (mu)"),
    "irrigated_mu": _("Irrigated land (mu)"),
    "forest_mu": _("Forest land (mu)"),
    "grain_to_green_mu": _("Grain-to-green land (mu)"),
    "fruit_forest_mu": _("Orchards (mu)"),
    "pasture_mu": _("Pasture (mu)"),
    "water_surface_mu": _("Water surface (mu)"),
    "is_coop_member": _("Member of a farmers' co-operative"),
    "has_electricity": _("Household electricity"),
    "has_production_power": _("Production electricity"),
    "road_distance_km": _("Distance to the main village road (km)"),
    "road_type": _("Road to the house"),
    "housing_area_m2": _("Housing area (m²)"),
    "dilapidated_grade": _("Dilapidated-housing grade"),
    "drinking_water_safe": _("Safe drinking water"),
    "drinking_water_difficult": _("Difficult access to drinking water"),
    "fuel_type": _("Main cooking fuel"),
    "has_sanitary_toilet": _("Sanitary toilet"),
    "income_wage": _("Wage income"),
    "income_business": _("Business income"),
    "income_property": _("Property income"),
    "transfer_dibao": _("Dibao (minimum living allowance)"),
    "transfer_wubao": _("Wubao (five guarantees) allowance"),
    "transfer_pension": _("Pensions"),
    "transfer_eco": _("Ecological compensation"),
    "transfer_other": _("Other transfer income"),
    "business_expense": _("Business expenses"),
    "income_net": _("Net household income"),
    "income_per_capita": _("Net income per person"),
    "income_rule_version": _("Income rule version"),
    "food_secure": _("Enough food"),
    "clothing_secure": _("Enough clothing"),
    "education_secure": _("Compulsory education assured"),
    "medical_secure": _("Basic medical care assured"),
    "housing_secure": _("Safe housing assured"),
    "poverty_status": _("Poverty status"),
    "identification_year": _("Year identified"),
    "planned_exit_year": _("Planned exit year"),
    "exit_year": _("Exit year"),
    "size": _("Household size"),
    "status": _("Record status"),
    "left_reason": _("Reason for leaving"),
    "left_comment": _("Comment on leaving"),
}

MEMBER_LABELS = {
    "name": _("Name"),
    "id_number": _("ID number"),
    "id_kind": _("ID kind"),
    "sex": _("Sex"),
    "birth_date": _("Birth date"),
    "relation": _("Relation to head"),
    "ethnicity": _("Ethnicity"),
    "education": _("Education"),
    "schooling": _("Schooling"),
    "health": _("Health"),
    "labour_skill": _("Labour skill"),
    "migrant_work": _("Migrant work"),
    "migrant_months": _("Months of migrant work"),
    "is_active_soldier": _("Serving soldier"),
    "has_medical_insurance": _("Basic medical insurance"),
    "has_serious_illness_insurance": _("Serious-illness insurance"),
    "has_pension_insurance": _("Basic pension insurance"),
    "is_dibao": _("On dibao"),
    "is_tekun": _("Destitute support (tekun)"),
    "status": _("Record status"),
    "left_reason": _("Reason for leaving"),
    "left_comment": _("Comment on leaving"),
}

#: Coded fields → id of their list in :data:`fupin.policy.codes.ALL_LISTS`. ``category`` is not here:
#: its list depends on the household's form version (see :func:`fupin.web.templatetags.fupin.category_label`).
HOUSEHOLD_CODE_LISTS = {
    "identification_standard": "identification_standard",
    "main_cause": "poverty_cause",
    "other_cause_1": "poverty_cause",
    "other_cause_2": "poverty_cause",
    "road_type": "road_type",
    "dilapidated_grade": "dilapidated_grade",
    "fuel_type": "fuel_type",
    "poverty_status": "poverty_status",
    "left_reason": "household_leave_reason",
}

MEMBER_CODE_LISTS = {
    "sex": "sex",
    "relation": "relation",
    "ethnicity": "ethnicity",
    "education": "education",
    "schooling": "schooling",
    "health": "health",
    "labour_skill": "labour_skill",
    "migrant_work": "migrant_work",
    "left_reason": "member_leave_reason",
}

#: Fields holding personal numbers that are masked for users who may not see full IDs.
ID_FIELDS = frozenset({"id_number"})
ACCOUNT_FIELDS = frozenset({"bank_account"})

RECORD_STATUS = {"active": _("On the registry"), "left": _("Left the registry"), "applicant": _("Applicant"),
                 "declined": _("Not admitted"), "monitored": _("Monitored household")}
ID_KINDS = {
    "resident": _("Resident ID (18 digits)"),
    "legacy15": _("Legacy 15-digit ID"),
    "disability": _("Disability certificate"),
}
CATEGORY_FORM_VERSIONS = {"2014": _("2014 form"), "2016": _("2016 form")}


def roster_column_label(header: str, field: str = "") -> str | None:
    """The English label (translated) of a roster column (花名册列) named by its ``field``, else by its
    ``header`` as the template writes it; None for a column of neither (a location name, the file's
    own extra columns). A ``…_check`` column is labelled as the field it checks."""
    from fupin.imports import roster  # pure data

    column = roster.BY_FIELD.get(field) if field else None
    if column is None:
        column = next((c for c in roster.COLUMNS if c.header == header), None)
    name = column.field if column is not None else field
    name = name.removesuffix("_check")
    level = column.level if column is not None else ""
    first, second = (MEMBER_LABELS, HOUSEHOLD_LABELS) if level == roster.MEMBER else (HOUSEHOLD_LABELS, MEMBER_LABELS)
    label = first.get(name) or second.get(name)
    return None if label is None else str(label)
