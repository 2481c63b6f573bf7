"""schema initial: the six exchange tables, accounts, audit and settings

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 16:01:04.442067
"""

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('horodatage', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('auteur', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('table_name', sa.String(length=40), nullable=False),
    sa.Column('cle', sa.String(length=200), nullable=True),
    sa.Column('avant', sa.JSON(), nullable=True),
    sa.Column('apres', sa.JSON(), nullable=True),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit'))
    )
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_horodatage'), ['horodatage'], unique=False)

    op.create_table('parametres',
    sa.Column('cle', sa.String(length=60), nullable=False),
    sa.Column('valeur', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('cle', name=op.f('pk_parametres'))
    )
    op.create_table('structures',
    sa.Column('code_structure', sa.String(length=20), nullable=False),
    sa.Column('nom', sa.String(length=200), nullable=False),
    sa.Column('departement', sa.String(length=3), nullable=False),
    sa.CheckConstraint("departement IN ('01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12', '13', '14', '15', '16', '17', '18', '19', '2A', '2B', '21', '22', '23', '24', '25', '26', '27', '28', '29', '30', '31', '32', '33', '34', '35', '36', '37', '38', '39', '40', '41', '42', '43', '44', '45', '46', '47', '48', '49', '50', '51', '52', '53', '54', '55', '56', '57', '58', '59', '60', '61', '62', '63', '64', '65', '66', '67', '68', '69', '70', '71', '72', '73', '74', '75', '76', '77', '78', '79', '80', '81', '82', '83', '84', '85', '86', '87', '88', '89', '90', '91', '92', '93', '94', '95', '971', '972', '973', '974', '976')", name=op.f('ck_structures_departement')),
    sa.PrimaryKeyConstraint('code_structure', name=op.f('pk_structures'))
    )
    with op.batch_alter_table('structures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_structures_departement'), ['departement'], unique=False)

    op.create_table('comptes',
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('code_structure', sa.String(length=20), nullable=True),
    sa.Column('departement', sa.String(length=3), nullable=True),
    sa.Column('cree_le', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("role IN ('conseiller', 'directeur', 'departement', 'bureau', 'admin')", name=op.f('ck_comptes_role')),
    sa.ForeignKeyConstraint(['code_structure'], ['structures.code_structure'], name=op.f('fk_comptes_code_structure_structures')),
    sa.PrimaryKeyConstraint('email', name=op.f('pk_comptes'))
    )
    op.create_table('financements',
    sa.Column('code_structure', sa.String(length=20), nullable=False),
    sa.Column('annee', sa.Integer(), nullable=False),
    sa.Column('financeur', sa.String(length=5), nullable=False),
    sa.Column('dispositif', sa.String(length=12), nullable=False),
    sa.Column('montant_eur', sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=False),
    sa.CheckConstraint("dispositif IN ('RSA', 'CEJ', 'PACEA', 'ASE', 'OF', 'DROIT_COMMUN', 'TOUS')", name=op.f('ck_financements_dispositif')),
    sa.CheckConstraint("financeur IN ('CD', 'ETAT', 'FSE', 'AUTRE')", name=op.f('ck_financements_financeur')),
    sa.CheckConstraint('montant_eur >= 0', name=op.f('ck_financements_montant')),
    sa.ForeignKeyConstraint(['code_structure'], ['structures.code_structure'], name=op.f('fk_financements_code_structure_structures')),
    sa.PrimaryKeyConstraint('code_structure', 'annee', 'financeur', 'dispositif', name=op.f('pk_financements'))
    )
    op.create_table('jeunes',
    sa.Column('id_jeune', sa.String(length=40), nullable=False),
    sa.Column('code_structure', sa.String(length=20), nullable=False),
    sa.Column('annee_naissance', sa.Integer(), nullable=False),
    sa.Column('sexe', sa.String(length=1), nullable=False),
    sa.Column('niveau_formation', sa.String(length=6), nullable=True),
    sa.Column('qpv', sa.Boolean(), nullable=False),
    sa.Column('frr', sa.Boolean(), nullable=False),
    sa.Column('rqth', sa.Boolean(), nullable=False),
    sa.Column('date_premier_accueil', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("niveau_formation IS NULL OR niveau_formation IN ('infra3', '3', '4', '5plus')", name=op.f('ck_jeunes_niveau')),
    sa.CheckConstraint("sexe IN ('F', 'H')", name=op.f('ck_jeunes_sexe')),
    sa.CheckConstraint('annee_naissance >= 1950', name=op.f('ck_jeunes_annee_naissance')),
    sa.ForeignKeyConstraint(['code_structure'], ['structures.code_structure'], name=op.f('fk_jeunes_code_structure_structures')),
    sa.PrimaryKeyConstraint('id_jeune', name=op.f('pk_jeunes'))
    )
    with op.batch_alter_table('jeunes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jeunes_code_structure'), ['code_structure'], unique=False)

    op.create_table('objectifs',
    sa.Column('code_structure', sa.String(length=20), nullable=False),
    sa.Column('annee', sa.Integer(), nullable=False),
    sa.Column('indicateur', sa.String(length=40), nullable=False),
    sa.Column('cible', sa.Numeric(precision=14, scale=2, asdecimal=False), nullable=False),
    sa.CheckConstraint("indicateur IN ('jeunes_suivis', 'nouveaux_entrants', 'jeunes_rsa_suivis', 'entretiens', 'entretiens_par_jeune', 'sanctions_rsa', 'budget_eur', 'cout_par_jeune_eur', 'acces_emploi', 'acces_emploi_durable', 'acces_formation', 'immersions', 'sorties_positives', 'droits_ouverts', 'partenaires_mobilises', 'delai_entree_jours', 'entree_sous_30j', 'risques_detectes', 'ruptures_evitees', 'ruptures_survenues', 'taux_ruptures_evitees', 'risques_ouverts', 'parcours_securises', 'retours_dynamique', 'ancrage_rsa', 'sorties_rsa', 'maintien_hors_rsa_6m', 'mois_rsa_evites', 'couts_evites_bruts_eur', 'couts_evites_nets_eur', 'euros_evites_par_euro_investi')", name=op.f('ck_objectifs_indicateur')),
    sa.ForeignKeyConstraint(['code_structure'], ['structures.code_structure'], name=op.f('fk_objectifs_code_structure_structures')),
    sa.PrimaryKeyConstraint('code_structure', 'annee', 'indicateur', name=op.f('pk_objectifs'))
    )
    op.create_table('accompagnements',
    sa.Column('id_accompagnement', sa.String(length=40), nullable=False),
    sa.Column('id_jeune', sa.String(length=40), nullable=False),
    sa.Column('dispositif', sa.String(length=12), nullable=False),
    sa.Column('date_debut', sa.Date(), nullable=False),
    sa.Column('date_fin', sa.Date(), nullable=True),
    sa.Column('motif_fin', sa.String(length=30), nullable=True),
    sa.Column('financeur', sa.String(length=5), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("(date_fin IS NULL AND motif_fin IS NULL) OR (date_fin IS NOT NULL AND motif_fin IN ('emploi_durable', 'emploi', 'alternance', 'formation_qualifiante', 'reprise_scolarite', 'creation_entreprise', 'abandon', 'demenagement', 'limite_age', 'reorientation', 'autre'))", name=op.f('ck_accompagnements_motif_fin')),
    sa.CheckConstraint("dispositif IN ('RSA', 'CEJ', 'PACEA', 'ASE', 'OF', 'DROIT_COMMUN')", name=op.f('ck_accompagnements_dispositif')),
    sa.CheckConstraint("financeur IS NULL OR financeur IN ('CD', 'ETAT', 'FSE', 'AUTRE')", name=op.f('ck_accompagnements_financeur')),
    sa.CheckConstraint('date_fin IS NULL OR date_fin >= date_debut', name=op.f('ck_accompagnements_dates')),
    sa.ForeignKeyConstraint(['id_jeune'], ['jeunes.id_jeune'], name=op.f('fk_accompagnements_id_jeune_jeunes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_accompagnement', name=op.f('pk_accompagnements'))
    )
    with op.batch_alter_table('accompagnements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_accompagnements_id_jeune'), ['id_jeune'], unique=False)

    op.create_table('jalons',
    sa.Column('id_jalon', sa.String(length=40), nullable=False),
    sa.Column('id_jeune', sa.String(length=40), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('type', sa.String(length=30), nullable=False),
    sa.Column('domaine', sa.String(length=20), nullable=True),
    sa.Column('montant_eur', sa.Numeric(precision=12, scale=2, asdecimal=False), nullable=True),
    sa.Column('commentaire', sa.String(length=500), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint("(domaine IS NULL AND type NOT IN ('risque_rupture', 'rupture_evitee', 'rupture_survenue', 'droit_ouvert', 'mobilisation_partenaire')) OR (domaine IS NOT NULL AND type IN ('risque_rupture', 'rupture_evitee', 'rupture_survenue', 'droit_ouvert', 'mobilisation_partenaire'))", name=op.f('ck_jalons_domaine')),
    sa.CheckConstraint("type IN ('entretien', 'atelier', 'contact', 'orientation_recue', 'premier_rdv', 'emploi_cdi', 'emploi_cdd_long', 'emploi_cdd_court', 'emploi_interim', 'alternance', 'creation_entreprise', 'formation_qualifiante', 'formation_preparatoire', 'immersion', 'service_civique', 'reprise_scolarite', 'droit_ouvert', 'aide_faj', 'mobilisation_partenaire', 'risque_rupture', 'rupture_evitee', 'rupture_survenue', 'decrochage', 'rsa_ouverture', 'rsa_sanction', 'rsa_remobilisation', 'rsa_sortie')", name=op.f('ck_jalons_type')),
    sa.CheckConstraint('montant_eur IS NULL OR montant_eur >= 0', name=op.f('ck_jalons_montant')),
    sa.ForeignKeyConstraint(['id_jeune'], ['jeunes.id_jeune'], name=op.f('fk_jalons_id_jeune_jeunes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id_jalon', name=op.f('pk_jalons'))
    )
    with op.batch_alter_table('jalons', schema=None) as batch_op:
        batch_op.create_index('ix_jalons_jeune_date', ['id_jeune', 'date'], unique=False)
        batch_op.create_index('ix_jalons_type_date', ['type', 'date'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('jalons', schema=None) as batch_op:
        batch_op.drop_index('ix_jalons_type_date')
        batch_op.drop_index('ix_jalons_jeune_date')

    op.drop_table('jalons')
    with op.batch_alter_table('accompagnements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_accompagnements_id_jeune'))

    op.drop_table('accompagnements')
    op.drop_table('objectifs')
    with op.batch_alter_table('jeunes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jeunes_code_structure'))

    op.drop_table('jeunes')
    op.drop_table('financements')
    op.drop_table('comptes')
    with op.batch_alter_table('structures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_structures_departement'))

    op.drop_table('structures')
    op.drop_table('parametres')
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_horodatage'))

    op.drop_table('audit')
