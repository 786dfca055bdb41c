//! What people write, per language: subjects with an opening paragraph and a matching answer,
//! generic replies, one-liners, lines that add the group to a conversation, greetings,
//! closings, postscripts and legal footers. Written as ordinary office mail, not to suit any
//! parser. `[[label|url]]` marks a link; clients render it their way.

use crate::people::Lang;

/// (subject, opening paragraph, a reply to it)
pub type Topic = (&'static str, &'static str, &'static str);

pub struct Bank {
    pub topics: &'static [Topic],
    pub generic: &'static [&'static str],
    pub short: &'static [&'static str],
    /// `{group}` is replaced by the group address.
    pub add_group: &'static [&'static str],
    /// `{name}`: the person addressed.
    pub greet_one: &'static [&'static str],
    pub greet_all: &'static [&'static str],
    pub closings: &'static [&'static str],
    pub ps: &'static [&'static str],
    pub disclaimers: &'static [&'static str],
    /// The subject prefix of a reply in this UI language (Outlook localises it).
    pub outlook_re: &'static str,
    pub outlook_fw: &'static str,
}

pub fn bank(lang: Lang) -> &'static Bank {
    match lang {
        Lang::En => &EN,
        Lang::De => &DE,
        Lang::Fr => &FR,
        Lang::Es => &ES,
        Lang::Pt => &PT,
        Lang::Nl => &NL,
        Lang::Pl => &PL,
        Lang::Ru => &RU,
        Lang::Ja => &JA,
    }
}

pub fn closings(lang: Lang) -> &'static [&'static str] {
    bank(lang).closings
}

pub const EN: Bank = Bank {
    topics: &[
        ("Build pipeline rollout", "I've put together a first draft of the rollout plan for the new build pipeline. The main change is that we move the integration tests to the nightly job and keep only the unit tests on every push.", "Thanks for putting this together. I agree with moving the integration tests, but let's keep the smoke tests on every push so we still catch broken deploys early."),
        ("Customer workshop next week", "Quick question about the customer workshop next week: do we still have the room on the third floor, or should I book something outside?", "I checked with facilities: the room is free on Tuesday but not on Wednesday. Should we move the workshop?"),
        ("Revised vendor quote", "The vendor sent over the revised quote this morning. It's about 8% lower than the first one, but the support hours are reduced to business days only.", "I'm not sure the lower price is worth it. Most of our incidents happen at night or on weekends, so we need 24/7 support."),
        ("Payment service timeouts", "We had two more timeouts on the payment service last night, both between 02:00 and 02:30. I suspect the backup job is saturating the disk again.", "You're right, the backup job started at 02:00 both nights. I've moved it to 04:00 for now and will keep an eye on it."),
        ("Contract draft", "Following up on our call: I'll send the contract draft to legal today, and we aim to sign before the end of the month.", "Legal usually needs a week for a new customer, so the end of the month is tight. I'll ask them to prioritise it."),
        ("Webhook retry PR", "Can you take a look at [[the pull request|https://git.corp.example/platform/api/pull/1842]] when you have a minute? It changes how we retry failed webhooks.", "Looks fine overall. I left two comments on the retry logic; the backoff should be capped, otherwise a single bad endpoint can block the queue for hours."),
        ("Weekly sync", "I'd like to move our weekly sync from Tuesday to Wednesday afternoon, since half of the team is in the planning meeting on Tuesdays.", "Wednesday works for me, but not before 3 pm."),
        ("Q3 numbers", "Attached are the numbers for the third quarter. Revenue is on track, but the churn in the small-business segment went up again.", "Could you split the churn numbers by region? I'd like to see whether it's the same problem we had in the spring."),
        ("New laptops", "The new laptops arrived. IT can set them up from Monday, so please let me know who needs theirs first.", "I can take mine on Monday. Carol said she's out until Wednesday, so hers can wait."),
        ("Offsite agenda", "Here is the draft agenda for the offsite:\n- Monday: strategy and roadmap\n- Tuesday morning: team sessions\n- Tuesday afternoon: budget review", "The agenda looks good. Can we add 30 minutes for the hiring plan on Tuesday?"),
        ("Certificate renewal", "The certificate for api.corp.example expires on the 14th. I can renew it, but we need someone from security to approve the new key.", "I've approved the request in the portal. Note that staging still uses the old certificate, so please renew both."),
        ("Quick question", "Do you know who owns the shared test accounts now? The password in the wiki no longer works.", "That moved to the QA team last month. Priya should be able to reset it for you."),
    ],
    generic: &[
        "Noted, thanks. I'll let the people in my team know.",
        "I'd rather not change the plan this late. Let's go with what we have and revisit it after the release.",
        "Let me check with the others and get back to you tomorrow.",
        "Can we discuss this in the next sync? I don't think we can settle it over email.",
        "I talked to the customer again this morning and they are fine with the new date, as long as we send them the migration guide a week before.",
        "That's what I saw too. The logs show the connection pool running out right before the timeouts.",
        "Good point. I've updated [[the document|https://docs.corp.example/d/8f3k2]] accordingly.",
        "One more thing: please keep the budget owner in the loop, she asked about this twice already.",
        "I'm travelling until Thursday and will only have patchy access to email, so don't wait for me.",
        "Open points from today:\n- pricing for the enterprise tier\n- the SSO requirement\n- who owns the migration",
    ],
    short: &[
        "Sounds good, go ahead.",
        "Done.",
        "Great, that works for me.",
        "Yes, please.",
        "Will do.",
        "Perfect, thanks for the quick reply.",
    ],
    add_group: &[
        "Adding {group} so everyone is in the loop.",
        "+{group} for visibility",
        "Looping in the team ({group}).",
        "Copying {group} so others can weigh in.",
    ],
    greet_one: &["Hi {name},", "Hi {name}", "Hello {name},", "{name},", "Dear {name},", "Hey {name},"],
    greet_all: &["Hi all,", "Hi everyone,", "Hello team,", "All,"],
    closings: &[
        "Best regards,",
        "Thanks,",
        "Cheers,",
        "Best,",
        "Kind regards,",
        "Regards,",
        "Many thanks,",
        "Thanks again,",
        "All the best,",
    ],
    ps: &[
        "P.S. I'm out on Friday, so please send comments by Thursday.",
        "PS: the slides are in the shared drive.",
    ],
    disclaimers: &[
        "CONFIDENTIALITY NOTICE: This e-mail and any attachments are confidential and may be legally privileged. If you are not the intended recipient, please notify the sender immediately and delete this message. Any unauthorised use or disclosure is prohibited.",
        "This message contains information which may be confidential and privileged. Unless you are the addressee (or authorized to receive for the addressee), you may not use, copy or disclose to anyone the message or any information contained in the message. If you have received the message in error, please advise the sender by reply e-mail and delete the message.",
    ],
    outlook_re: "RE:",
    outlook_fw: "FW:",
};

pub const DE: Bank = Bank {
    topics: &[
        ("Rollout Build-Pipeline", "Ich habe einen ersten Entwurf für den Rollout-Plan der neuen Build-Pipeline erstellt. Die wichtigste Änderung: Die Integrationstests laufen künftig nur noch nachts, bei jedem Push nur noch die Unit-Tests.", "Danke für die Zusammenstellung. Mit den Integrationstests bin ich einverstanden, aber die Smoke-Tests sollten weiter bei jedem Push laufen."),
        ("Kundenworkshop nächste Woche", "Kurze Frage zum Kundenworkshop nächste Woche: Haben wir den Raum im dritten Stock noch, oder soll ich etwas außerhalb buchen?", "Ich habe beim Facility Management nachgefragt: Der Raum ist am Dienstag frei, am Mittwoch nicht. Sollen wir den Workshop verschieben?"),
        ("Überarbeitetes Angebot", "Der Lieferant hat heute Morgen das überarbeitete Angebot geschickt. Es liegt etwa 8 % unter dem ersten, aber der Support gilt nur noch werktags.", "Ich bin nicht sicher, ob sich der niedrigere Preis lohnt. Die meisten Störungen haben wir nachts oder am Wochenende."),
        ("Timeouts Payment-Service", "Heute Nacht gab es wieder zwei Timeouts beim Payment-Service, beide zwischen 02:00 und 02:30 Uhr. Ich vermute, dass der Backup-Job wieder die Platte auslastet.", "Stimmt, der Backup-Job ist in beiden Nächten um 02:00 Uhr gestartet. Ich habe ihn vorerst auf 04:00 Uhr verschoben."),
        ("Vertragsentwurf", "Wie besprochen schicke ich den Vertragsentwurf heute an die Rechtsabteilung. Ziel ist die Unterschrift vor Monatsende.", "Die Rechtsabteilung braucht bei Neukunden meist eine Woche, das wird knapp. Ich frage, ob sie es vorziehen können."),
        ("Pull Request Webhooks", "Kannst du dir [[den Pull Request|https://git.corp.example/platform/api/pull/1842]] anschauen, wenn du kurz Zeit hast? Es geht um die Wiederholungslogik für fehlgeschlagene Webhooks.", "Sieht insgesamt gut aus. Ich habe zwei Kommentare zur Retry-Logik hinterlassen; das Backoff sollte nach oben begrenzt sein."),
        ("Wöchentliches Meeting", "Ich würde unser wöchentliches Meeting gern von Dienstag auf Mittwochnachmittag verschieben, weil dienstags die Hälfte des Teams in der Planungsrunde sitzt.", "Mittwoch geht bei mir, aber erst ab 15 Uhr."),
        ("Zahlen Q3", "Anbei die Zahlen für das dritte Quartal. Der Umsatz liegt im Plan, aber die Kündigungsquote bei den Kleinkunden ist wieder gestiegen.", "Kannst du die Kündigungen nach Region aufschlüsseln? Ich möchte sehen, ob es dasselbe Problem wie im Frühjahr ist."),
        ("Neue Laptops", "Die neuen Laptops sind da. Die IT kann sie ab Montag einrichten – bitte sagt mir, wer seinen zuerst braucht.", "Ich nehme meinen am Montag. Sabine ist bis Mittwoch nicht da, ihrer kann warten."),
        ("Zertifikat läuft ab", "Das Zertifikat für api.corp.example läuft am 14. ab. Ich kann es erneuern, aber jemand aus der Security muss den neuen Schlüssel freigeben.", "Die Freigabe ist im Portal erteilt. Achtung: Staging nutzt noch das alte Zertifikat, bitte beide erneuern."),
    ],
    generic: &[
        "Danke, ich gebe das an mein Team weiter.",
        "So kurz vor dem Release würde ich den Plan nicht mehr ändern. Lass uns das danach noch einmal anschauen.",
        "Ich kläre das mit den anderen und melde mich morgen.",
        "Können wir das im nächsten Jour fixe besprechen? Per Mail kommen wir da nicht weiter.",
        "Ich habe heute früh noch einmal mit dem Kunden telefoniert. Der neue Termin ist in Ordnung, wenn sie die Migrationsanleitung eine Woche vorher bekommen.",
        "Das sehe ich auch so. In den Logs ist der Connection-Pool kurz vor den Timeouts erschöpft.",
        "Guter Punkt, ich habe [[das Dokument|https://docs.corp.example/d/8f3k2]] entsprechend angepasst.",
        "Offene Punkte aus dem Termin heute:\n- Preise für das Enterprise-Paket\n- die SSO-Anforderung\n- wer die Migration verantwortet",
    ],
    short: &[
        "Passt, mach gerne so.",
        "Erledigt.",
        "Klingt gut!",
        "Ja, bitte.",
        "Mache ich.",
    ],
    add_group: &[
        "Ich nehme {group} mit in CC, damit alle Bescheid wissen.",
        "+ {group} zur Info",
        "Ich setze das Team ({group}) in CC.",
    ],
    greet_one: &["Hallo {name},", "Hi {name},", "Liebe {name},", "Moin {name},", "Hallo {name}"],
    greet_all: &["Hallo zusammen,", "Hallo alle,", "Liebe Kolleginnen und Kollegen,", "Moin zusammen,"],
    closings: &[
        "Viele Grüße",
        "Beste Grüße",
        "Mit freundlichen Grüßen",
        "Gruß",
        "VG",
        "Liebe Grüße",
        "Schöne Grüße",
    ],
    ps: &[
        "PS: Ich bin am Freitag nicht da, Kommentare also bitte bis Donnerstag.",
        "P.S. Die Folien liegen im Teams-Ordner.",
    ],
    disclaimers: &[
        "Diese E-Mail enthält vertrauliche und/oder rechtlich geschützte Informationen. Wenn Sie nicht der richtige Adressat sind oder diese E-Mail irrtümlich erhalten haben, informieren Sie bitte sofort den Absender und vernichten Sie diese Mail. Das unerlaubte Kopieren sowie die unbefugte Weitergabe dieser Mail sind nicht gestattet.",
        "Sitz der Gesellschaft: München | Registergericht: Amtsgericht München HRB 123456 | Vorstand: Dr. Peter Gibbons (Vors.), Michael Bolton | Aufsichtsratsvorsitzender: Bill Lumbergh",
    ],
    outlook_re: "AW:",
    outlook_fw: "WG:",
};

pub const FR: Bank = Bank {
    topics: &[
        ("Déploiement de la chaîne de build", "J'ai préparé une première version du plan de déploiement de la nouvelle chaîne de build. Le principal changement : les tests d'intégration passent en nocturne, seuls les tests unitaires tournent à chaque push.", "Merci pour ce document. D'accord pour les tests d'intégration, mais gardons les tests de fumée à chaque push."),
        ("Atelier client la semaine prochaine", "Petite question sur l'atelier client de la semaine prochaine : avons-nous toujours la salle du troisième étage, ou dois-je réserver à l'extérieur ?", "J'ai vérifié avec les services généraux : la salle est libre mardi mais pas mercredi. On décale l'atelier ?"),
        ("Devis révisé du fournisseur", "Le fournisseur a envoyé le devis révisé ce matin. Il est environ 8 % moins cher, mais le support n'est plus assuré que les jours ouvrés.", "Je ne suis pas sûr que la baisse de prix vaille le coup. La plupart de nos incidents ont lieu la nuit ou le week-end."),
        ("Timeouts du service de paiement", "Nous avons eu encore deux timeouts sur le service de paiement cette nuit, entre 2 h et 2 h 30. Je soupçonne la sauvegarde de saturer le disque.", "Effectivement, la sauvegarde a démarré à 2 h les deux nuits. Je l'ai déplacée à 4 h pour l'instant."),
        ("Projet de contrat", "Suite à notre appel, j'envoie aujourd'hui le projet de contrat au service juridique ; l'objectif est de signer avant la fin du mois.", "Le juridique demande en général une semaine pour un nouveau client, ce sera serré. Je leur demande de le traiter en priorité."),
        ("Relance des webhooks", "Peux-tu jeter un œil à [[la demande de fusion|https://git.corp.example/platform/api/pull/1842]] quand tu as un moment ? Elle modifie la logique de relance des webhooks.", "Globalement c'est bon. J'ai laissé deux commentaires sur la logique de relance ; il faut plafonner le délai d'attente."),
        ("Point hebdomadaire", "Je propose de déplacer notre point hebdomadaire du mardi au mercredi après-midi, car la moitié de l'équipe est en réunion de planification le mardi.", "Mercredi me convient, mais pas avant 15 h."),
        ("Chiffres T3", "Voici les chiffres du troisième trimestre. Le chiffre d'affaires est conforme, mais le taux de résiliation des petites entreprises a encore augmenté.", "Peux-tu ventiler les résiliations par région ? J'aimerais voir si c'est le même problème qu'au printemps."),
        ("Nouveaux portables", "Les nouveaux portables sont arrivés. L'informatique peut les configurer à partir de lundi ; dites-moi qui en a besoin en premier.", "Je prends le mien lundi. Hélène est absente jusqu'à mercredi, le sien peut attendre."),
    ],
    generic: &[
        "Bien noté, je transmets à mon équipe.",
        "Je préfère ne pas changer le plan si tard. Gardons-le et revoyons-le après la mise en production.",
        "Je vérifie avec les autres et je reviens vers toi demain.",
        "J'ai rappelé le client ce matin : la nouvelle date lui convient, à condition de recevoir le guide de migration une semaine avant.",
        "C'est aussi ce que j'ai vu : le pool de connexions est épuisé juste avant les timeouts.",
        "Bonne remarque, j'ai mis à jour [[le document|https://docs.corp.example/d/8f3k2]].",
        "Points ouverts de la réunion :\n- tarifs de l'offre Entreprise\n- l'exigence SSO\n- qui pilote la migration",
    ],
    short: &["Ça me va, vas-y.", "C'est fait.", "Parfait, merci pour la réponse rapide.", "Oui, volontiers.", "Je m'en occupe."],
    add_group: &[
        "J'ajoute {group} en copie pour que tout le monde soit au courant.",
        "+ {group} pour info",
        "Je mets l'équipe ({group}) en copie.",
    ],
    greet_one: &["Bonjour {name},", "Salut {name},", "Bonjour {name}", "{name},"],
    greet_all: &["Bonjour à tous,", "Bonjour à toutes et à tous,", "Hello à tous,"],
    closings: &[
        "Cordialement,",
        "Bien cordialement,",
        "Bien à vous,",
        "Merci,",
        "Bonne journée,",
        "À bientôt,",
        "Belle journée,",
    ],
    ps: &["PS : je suis absent vendredi, merci d'envoyer vos remarques d'ici jeudi."],
    disclaimers: &["Ce message et toutes les pièces jointes sont confidentiels et établis à l'intention exclusive de ses destinataires. Toute utilisation ou diffusion non autorisée est interdite. Si vous avez reçu ce message par erreur, merci de le détruire et d'en avertir immédiatement l'expéditeur."],
    outlook_re: "RE :",
    outlook_fw: "TR :",
};

pub const ES: Bank = Bank {
    topics: &[
        ("Despliegue del pipeline", "He preparado un primer borrador del plan de despliegue del nuevo pipeline de compilación. El cambio principal es que las pruebas de integración pasan al job nocturno y en cada push solo se ejecutan las unitarias.", "Gracias por prepararlo. Estoy de acuerdo con mover las pruebas de integración, pero mantengamos las de humo en cada push."),
        ("Taller con el cliente", "Una pregunta rápida sobre el taller con el cliente de la semana que viene: ¿seguimos teniendo la sala de la tercera planta o reservo algo fuera?", "He preguntado a servicios generales: la sala está libre el martes pero no el miércoles. ¿Movemos el taller?"),
        ("Presupuesto revisado", "El proveedor ha enviado esta mañana el presupuesto revisado. Es un 8 % más barato, pero el soporte solo cubre días laborables.", "No tengo claro que compense el precio más bajo. La mayoría de incidencias ocurren de noche o en fin de semana."),
        ("Timeouts en pagos", "Anoche hubo otros dos timeouts en el servicio de pagos, los dos entre las 02:00 y las 02:30. Sospecho que la copia de seguridad vuelve a saturar el disco.", "Tienes razón, la copia empezó a las 02:00 las dos noches. De momento la he movido a las 04:00."),
        ("Borrador del contrato", "Tras nuestra llamada, hoy envío el borrador del contrato a legal; la idea es firmar antes de fin de mes.", "Legal suele tardar una semana con clientes nuevos, así que vamos justos. Les pido que le den prioridad."),
        ("Reintentos de webhooks", "¿Puedes revisar [[la pull request|https://git.corp.example/platform/api/pull/1842]] cuando tengas un momento? Cambia cómo reintentamos los webhooks fallidos.", "En general está bien. He dejado dos comentarios sobre los reintentos; hay que limitar el tiempo de espera."),
        ("Reunión semanal", "Me gustaría mover la reunión semanal del martes al miércoles por la tarde, porque los martes medio equipo está en la reunión de planificación.", "El miércoles me viene bien, pero no antes de las 15:00."),
        ("Cifras del T3", "Te paso las cifras del tercer trimestre. La facturación va según lo previsto, pero la tasa de bajas de pymes ha vuelto a subir.", "¿Puedes desglosar las bajas por región? Quiero ver si es el mismo problema que en primavera."),
    ],
    generic: &[
        "Entendido, se lo comento a mi equipo.",
        "Prefiero no cambiar el plan a estas alturas. Sigamos así y lo revisamos después de la entrega.",
        "Lo consulto con los demás y te digo algo mañana.",
        "He vuelto a hablar con el cliente esta mañana: la nueva fecha le va bien si recibe la guía de migración una semana antes.",
        "Es lo mismo que vi yo: el pool de conexiones se agota justo antes de los timeouts.",
        "Buena observación, he actualizado [[el documento|https://docs.corp.example/d/8f3k2]].",
    ],
    short: &["Me parece bien, adelante.", "Hecho.", "¡Perfecto!", "Sí, por favor.", "Me encargo."],
    add_group: &[
        "Añado a {group} en copia para que todos estén al tanto.",
        "+ {group} para información",
        "Pongo al equipo ({group}) en copia.",
    ],
    greet_one: &["Hola {name},", "Hola {name}:", "Buenos días, {name}:", "{name},"],
    greet_all: &["Hola a todos,", "Hola a todos:", "Buenos días a todos:"],
    closings: &[
        "Saludos,",
        "Un saludo,",
        "Saludos cordiales,",
        "Gracias,",
        "Un abrazo,",
        "Atentamente,",
    ],
    ps: &["P. D.: El viernes no estoy, así que enviad los comentarios antes del jueves."],
    disclaimers: &["AVISO LEGAL: Este mensaje y sus archivos adjuntos van dirigidos exclusivamente a su destinatario y pueden contener información confidencial. Si no es usted el destinatario indicado, queda notificado de que la utilización, divulgación o copia sin autorización está prohibida. Si ha recibido este mensaje por error, le rogamos que nos lo comunique inmediatamente y proceda a su destrucción."],
    outlook_re: "RE:",
    outlook_fw: "RV:",
};

pub const PT: Bank = Bank {
    topics: &[
        ("Implantação do pipeline", "Preparei um primeiro rascunho do plano de implantação do novo pipeline de build. A principal mudança é que os testes de integração passam para o job noturno e, a cada push, rodam só os testes unitários.", "Obrigado por montar isso. Concordo em mover os testes de integração, mas vamos manter os testes de fumaça a cada push."),
        ("Workshop com o cliente", "Uma dúvida rápida sobre o workshop com o cliente na semana que vem: ainda temos a sala do terceiro andar ou devo reservar algo fora?", "Falei com a administração: a sala está livre na terça, mas não na quarta. Mudamos o workshop?"),
        ("Orçamento revisado", "O fornecedor mandou hoje de manhã o orçamento revisado. Está uns 8% mais barato, mas o suporte passa a cobrir só dias úteis.", "Não sei se o preço menor compensa. A maioria dos incidentes acontece à noite ou no fim de semana."),
        ("Timeouts no serviço de pagamentos", "Tivemos mais dois timeouts no serviço de pagamentos esta noite, ambos entre 02:00 e 02:30. Desconfio que o backup está saturando o disco de novo.", "Verdade, o backup começou às 02:00 nas duas noites. Por enquanto mudei para as 04:00."),
        ("Minuta do contrato", "Conforme conversamos, envio hoje a minuta do contrato para o jurídico; a ideia é assinar até o fim do mês.", "O jurídico costuma levar uma semana com cliente novo, então o prazo está apertado. Vou pedir prioridade."),
        ("Webhooks com falha", "Você consegue dar uma olhada [[no pull request|https://git.corp.example/platform/api/pull/1842]] quando tiver um tempinho? Ele muda a lógica de nova tentativa dos webhooks.", "No geral está bom. Deixei dois comentários sobre a lógica de nova tentativa; o tempo de espera precisa de um limite."),
        ("Reunião semanal", "Queria mudar nossa reunião semanal de terça para quarta à tarde, porque metade do time está no planejamento às terças.", "Quarta funciona para mim, mas só depois das 15h."),
        ("Números do 3º trimestre", "Seguem os números do terceiro trimestre. A receita está dentro do previsto, mas o cancelamento entre pequenas empresas voltou a subir.", "Você pode separar os cancelamentos por região? Quero ver se é o mesmo problema do primeiro semestre."),
    ],
    generic: &[
        "Anotado, vou avisar o pessoal do meu time.",
        "Prefiro não mudar o plano agora. Vamos seguir assim e revisar depois da entrega.",
        "Vou confirmar com o pessoal e te retorno amanhã.",
        "Falei de novo com o cliente hoje cedo: a nova data está ok, desde que ele receba o guia de migração uma semana antes.",
        "Foi o que eu vi também: o pool de conexões se esgota logo antes dos timeouts.",
    ],
    short: &["Pode seguir.", "Feito.", "Perfeito, obrigada pela resposta rápida.", "Sim, por favor.", "Deixa comigo."],
    add_group: &[
        "Estou copiando {group} para todos ficarem a par.",
        "+ {group} para conhecimento",
        "Incluí o time ({group}) em cópia.",
    ],
    greet_one: &["Oi {name},", "Olá {name},", "Bom dia, {name}!", "{name},"],
    greet_all: &["Olá a todos,", "Oi pessoal,", "Bom dia a todos,"],
    closings: &["Abraços,", "Obrigado,", "Atenciosamente,", "Att.,", "Abs,", "Um abraço,"],
    ps: &["P.S.: Estarei fora na sexta, então mandem comentários até quinta."],
    disclaimers: &["Esta mensagem pode conter informações confidenciais ou privilegiadas. Se você não for o destinatário, não a copie, use ou divulgue; avise o remetente imediatamente e apague-a."],
    outlook_re: "RE:",
    outlook_fw: "ENC:",
};

pub const NL: Bank = Bank {
    topics: &[
        ("Uitrol build-pipeline", "Ik heb een eerste versie van het uitrolplan voor de nieuwe build-pipeline gemaakt. De belangrijkste wijziging: de integratietests draaien voortaan alleen 's nachts, bij elke push alleen nog de unittests.", "Bedankt voor het opzetten. Akkoord met de integratietests, maar laten we de smoketests bij elke push houden."),
        ("Klantworkshop volgende week", "Korte vraag over de klantworkshop volgende week: hebben we de zaal op de derde verdieping nog, of moet ik iets extern boeken?", "Ik heb het nagevraagd bij facilitair: de zaal is dinsdag vrij, woensdag niet. Zullen we de workshop verplaatsen?"),
        ("Herziene offerte", "De leverancier heeft vanochtend de herziene offerte gestuurd. Die is ongeveer 8% goedkoper, maar de support geldt alleen nog op werkdagen.", "Ik weet niet of de lagere prijs het waard is. De meeste storingen hebben we 's nachts of in het weekend."),
        ("Time-outs betaaldienst", "Vannacht waren er weer twee time-outs op de betaaldienst, allebei tussen 02:00 en 02:30. Ik vermoed dat de back-upjob de schijf weer volledig belast.", "Klopt, de back-up startte beide nachten om 02:00. Ik heb hem voorlopig naar 04:00 verschoven."),
        ("Conceptcontract", "Zoals besproken stuur ik het conceptcontract vandaag naar juridische zaken; het doel is tekenen voor het einde van de maand.", "Juridische zaken heeft voor een nieuwe klant meestal een week nodig, dus het wordt krap. Ik vraag of ze het voorrang kunnen geven."),
        ("Retry-logica webhooks", "Kun je even naar [[de pull request|https://git.corp.example/platform/api/pull/1842]] kijken als je tijd hebt? Het gaat om de retry-logica voor mislukte webhooks.", "Ziet er goed uit. Ik heb twee opmerkingen over de retry-logica achtergelaten; de wachttijd moet een maximum hebben."),
        ("Wekelijks overleg", "Ik wil ons wekelijkse overleg graag van dinsdag naar woensdagmiddag verplaatsen, omdat de helft van het team dinsdags in de planningssessie zit.", "Woensdag kan ik, maar niet voor 15:00."),
        ("Cijfers Q3", "Hierbij de cijfers van het derde kwartaal. De omzet ligt op schema, maar het verloop bij kleine klanten is weer gestegen.", "Kun je het verloop per regio uitsplitsen? Ik wil zien of het hetzelfde probleem is als in het voorjaar."),
    ],
    generic: &[
        "Genoteerd, ik geef het door aan mijn team.",
        "Ik zou het plan nu liever niet meer wijzigen. Laten we het na de release opnieuw bekijken.",
        "Ik stem het even af met de anderen en kom er morgen op terug.",
        "Ik heb de klant vanochtend nog gesproken: de nieuwe datum is prima, als ze de migratiehandleiding een week van tevoren krijgen.",
        "Dat zag ik ook: de connection pool raakt vlak voor de time-outs op.",
    ],
    short: &["Prima, ga je gang.", "Gedaan.", "Top, dat werkt voor mij.", "Ja, graag.", "Ik pak het op."],
    add_group: &[
        "Ik zet {group} in de cc zodat iedereen op de hoogte is.",
        "+ {group} ter info",
        "Team ({group}) in cc gezet.",
    ],
    greet_one: &["Hoi {name},", "Hallo {name},", "Beste {name},", "Hi {name},"],
    greet_all: &["Hoi allemaal,", "Hallo allen,", "Beste collega's,"],
    closings: &[
        "Met vriendelijke groet,",
        "Groeten,",
        "Groetjes,",
        "Mvg,",
        "Hartelijke groet,",
        "Groet,",
    ],
    ps: &["PS: vrijdag ben ik er niet, dus opmerkingen graag voor donderdag."],
    disclaimers: &["Dit bericht is uitsluitend bestemd voor de geadresseerde en kan vertrouwelijke informatie bevatten. Bent u niet de geadresseerde, dan wordt u verzocht de afzender te informeren en het bericht te verwijderen."],
    outlook_re: "RE:",
    outlook_fw: "FW:",
};

pub const PL: Bank = Bank {
    topics: &[
        ("Wdrożenie pipeline'u", "Przygotowałem pierwszą wersję planu wdrożenia nowego pipeline'u. Najważniejsza zmiana: testy integracyjne przechodzą do nocnego joba, a przy każdym pushu uruchamiamy tylko testy jednostkowe.", "Dzięki za przygotowanie. Zgadzam się co do testów integracyjnych, ale zostawmy testy dymne przy każdym pushu."),
        ("Warsztat z klientem", "Krótkie pytanie o warsztat z klientem w przyszłym tygodniu: czy nadal mamy salę na trzecim piętrze, czy mam zarezerwować coś na zewnątrz?", "Sprawdziłam w administracji: sala jest wolna we wtorek, ale nie w środę. Przesuwamy warsztat?"),
        ("Poprawiona oferta", "Dostawca przysłał dziś rano poprawioną ofertę. Jest o około 8% tańsza, ale wsparcie obejmuje tylko dni robocze.", "Nie jestem pewien, czy niższa cena się opłaca. Większość awarii mamy w nocy albo w weekend."),
        ("Timeouty w płatnościach", "W nocy znowu były dwa timeouty w serwisie płatności, oba między 02:00 a 02:30. Podejrzewam, że backup znowu zapycha dysk.", "Racja, backup startował o 02:00 w obie noce. Na razie przesunąłem go na 04:00."),
        ("Projekt umowy", "Zgodnie z ustaleniami wysyłam dziś projekt umowy do działu prawnego; chcemy podpisać przed końcem miesiąca.", "Dział prawny zwykle potrzebuje tygodnia przy nowym kliencie, więc będzie ciasno. Poproszę o priorytet."),
        ("Ponawianie webhooków", "Możesz zerknąć na [[pull request|https://git.corp.example/platform/api/pull/1842]], jak znajdziesz chwilę? Zmienia logikę ponawiania nieudanych webhooków.", "Ogólnie wygląda dobrze. Zostawiłem dwa komentarze do logiki ponawiania; czas oczekiwania musi mieć limit."),
        ("Cotygodniowe spotkanie", "Chciałbym przenieść nasze cotygodniowe spotkanie z wtorku na środę po południu, bo we wtorki połowa zespołu jest na planowaniu.", "Środa mi pasuje, ale nie przed 15:00."),
        ("Wyniki za Q3", "W załączniku liczby za trzeci kwartał. Przychody są zgodne z planem, ale odpływ małych firm znowu wzrósł.", "Możesz rozbić odpływ klientów na regiony? Chcę sprawdzić, czy to ten sam problem co wiosną."),
    ],
    generic: &[
        "Przyjąłem, przekażę zespołowi.",
        "Wolałbym nie zmieniać planu na tym etapie. Wróćmy do tego po wydaniu.",
        "Sprawdzę z resztą i odezwę się jutro.",
        "Rozmawiałam dziś rano z klientem: nowy termin jest w porządku, jeśli dostaną instrukcję migracji tydzień wcześniej.",
        "Widziałem to samo: pula połączeń wyczerpuje się tuż przed timeoutami.",
    ],
    short: &["Pasuje, działaj.", "Zrobione.", "Super, to mi odpowiada.", "Tak, poproszę.", "Zajmę się tym."],
    add_group: &[
        "Dodaję {group} do DW, żeby wszyscy byli na bieżąco.",
        "+ {group} do wiadomości",
        "Dodaję zespół ({group}) do kopii.",
    ],
    greet_one: &["Cześć {name},", "Hej {name},", "Dzień dobry,", "Witam,"],
    greet_all: &["Cześć wszystkim,", "Dzień dobry,", "Hej,"],
    closings: &[
        "Pozdrawiam,",
        "Pozdrawiam serdecznie",
        "Z poważaniem,",
        "Dzięki,",
        "Pozdrowienia,",
        "Miłego dnia,",
    ],
    ps: &["PS. W piątek mnie nie ma, więc uwagi proszę do czwartku."],
    disclaimers: &["Treść tej wiadomości jest poufna i przeznaczona wyłącznie dla adresata. Jeżeli nie są Państwo adresatem, prosimy o powiadomienie nadawcy i usunięcie wiadomości."],
    outlook_re: "RE:",
    outlook_fw: "PD:",
};

pub const RU: Bank = Bank {
    topics: &[
        ("Внедрение конвейера сборки", "Подготовил первый вариант плана внедрения нового конвейера сборки. Главное изменение: интеграционные тесты переезжают в ночную сборку, а при каждом пуше запускаются только модульные.", "Спасибо, что подготовил. С интеграционными тестами согласен, но смоук-тесты давай оставим на каждом пуше."),
        ("Семинар с клиентом", "Короткий вопрос по семинару с клиентом на следующей неделе: переговорная на третьем этаже ещё за нами или бронировать что-то снаружи?", "Уточнила у АХО: переговорная свободна во вторник, но не в среду. Переносим семинар?"),
        ("Исправленное предложение", "Поставщик сегодня утром прислал исправленное предложение. Оно примерно на 8% дешевле, но поддержка теперь только по рабочим дням.", "Не уверен, что более низкая цена того стоит. Большинство инцидентов у нас ночью или в выходные."),
        ("Таймауты в платёжном сервисе", "Ночью опять было два таймаута в платёжном сервисе, оба между 02:00 и 02:30. Подозреваю, что резервное копирование снова нагружает диск.", "Да, копирование в обе ночи стартовало в 02:00. Пока перенёс его на 04:00."),
        ("Проект договора", "Как договорились, сегодня отправляю проект договора юристам; цель — подписать до конца месяца.", "Юристам с новым клиентом обычно нужна неделя, так что сроки сжатые. Попрошу их взять в приоритет."),
        ("Повторная отправка вебхуков", "Посмотри, пожалуйста, [[пул-реквест|https://git.corp.example/platform/api/pull/1842]], когда будет минутка. Он меняет логику повторной отправки вебхуков.", "В целом хорошо. Оставил два комментария к логике повторов: время ожидания нужно ограничить."),
        ("Еженедельная встреча", "Предлагаю перенести еженедельную встречу со вторника на среду после обеда: по вторникам половина команды на планировании.", "Среда подходит, но не раньше 15:00."),
        ("Цифры за третий квартал", "Во вложении цифры за третий квартал. Выручка по плану, но отток малого бизнеса снова вырос.", "Можешь разбить отток по регионам? Хочу понять, та же ли это проблема, что весной."),
    ],
    generic: &[
        "Принято, передам команде.",
        "Не хотел бы менять план так поздно. Давай вернёмся к этому после релиза.",
        "Уточню у остальных и завтра вернусь с ответом.",
        "Сегодня утром ещё раз говорила с клиентом: новая дата подходит, если они получат инструкцию по миграции за неделю.",
        "Я видел то же самое: пул соединений заканчивается прямо перед таймаутами.",
    ],
    short: &["Годится, действуй.", "Готово.", "Отлично, меня устраивает.", "Да, пожалуйста.", "Возьму на себя."],
    add_group: &[
        "Добавляю {group} в копию, чтобы все были в курсе.",
        "+ {group} для информации",
        "Ставлю команду ({group}) в копию.",
    ],
    greet_one: &["Привет, {name}!", "Добрый день, {name}!", "{name}, привет!", "{name}, добрый день."],
    greet_all: &["Коллеги, добрый день!", "Всем привет!", "Добрый день, коллеги!"],
    closings: &[
        "С уважением,",
        "Спасибо,",
        "Всего доброго,",
        "С наилучшими пожеланиями,",
        "Хорошего дня,",
    ],
    ps: &["P.S. В пятницу меня не будет, поэтому комментарии, пожалуйста, до четверга."],
    disclaimers: &["Информация в этом сообщении является конфиденциальной и предназначена только для указанного получателя. Если вы получили это сообщение по ошибке, сообщите отправителю и удалите его."],
    outlook_re: "RE:",
    outlook_fw: "FW:",
};

pub const JA: Bank = Bank {
    topics: &[
        ("ビルドパイプライン展開計画", "新しいビルドパイプラインの展開計画の初版を作成しました。主な変更点は、結合テストを夜間ジョブに移し、プッシュごとには単体テストのみを実行することです。", "まとめていただきありがとうございます。結合テストの移動には賛成ですが、スモークテストはプッシュごとに残しましょう。"),
        ("来週の顧客ワークショップ", "来週の顧客向けワークショップについて確認させてください。3階の会議室はまだ確保できていますか。それとも社外で予約したほうがよいでしょうか。", "総務に確認しました。会議室は火曜日は空いていますが、水曜日は埋まっています。ワークショップを移しますか。"),
        ("見積もり修正版", "本日午前、ベンダーから修正版の見積もりが届きました。前回より約8%安くなっていますが、サポートは平日のみとなります。", "価格が下がる点は魅力ですが、障害の多くは夜間や週末に起きているので慎重に判断したいです。"),
        ("決済サービスのタイムアウト", "昨夜も決済サービスでタイムアウトが2回発生しました。いずれも2時から2時半の間です。バックアップジョブがディスクを圧迫している可能性があります。", "ご指摘のとおり、両日ともバックアップは2時に開始していました。ひとまず4時に変更しました。"),
        ("契約書案", "先日のお打ち合わせの件、本日契約書の案を法務に送付します。月末までの締結を目指します。", "法務は新規顧客の場合、通常1週間ほどかかりますので、日程は厳しめです。優先して対応してもらえるよう依頼します。"),
        ("Webhook再送の修正", "お手すきの際に[[プルリクエスト|https://git.corp.example/platform/api/pull/1842]]をご確認いただけますか。失敗したWebhookの再送ロジックを変更しています。", "全体的に問題ないと思います。再送ロジックについて2点コメントしました。待ち時間には上限が必要です。"),
        ("定例会議の日程", "火曜日はチームの半分が計画会議に出ているため、定例を水曜日の午後に移したいと考えています。", "水曜日で大丈夫ですが、15時以降でお願いします。"),
        ("第3四半期の数字", "第3四半期の数字を添付します。売上は計画どおりですが、中小企業の解約率が再び上がっています。", "解約を地域別に分けていただけますか。春と同じ問題かどうか確認したいです。"),
    ],
    generic: &[
        "承知しました。チームにも共有しておきます。",
        "リリース直前なので、計画の変更は避けたいと思います。リリース後に改めて検討しましょう。",
        "ほかのメンバーに確認して、明日ご連絡します。",
        "今朝もう一度お客様と話しました。移行手順書を1週間前に受け取れれば、新しい日程で問題ないとのことです。",
        "こちらでも同じ現象を確認しました。タイムアウトの直前に接続プールが枯渇しています。",
    ],
    short: &["承知しました。", "対応しました。", "その方向で進めてください。", "確認しました。問題ありません。"],
    add_group: &[
        "皆さんにも共有するため、{group}をCCに追加しました。",
        "{group}をCCに入れます。",
    ],
    greet_one: &["{name}さん"],
    greet_all: &["皆さん", "関係者各位"],
    closings: &[
        "よろしくお願いします。",
        "よろしくお願いいたします。",
        "以上、よろしくお願いいたします。",
        "引き続きよろしくお願いします。",
    ],
    ps: &["追伸：金曜日は不在のため、コメントは木曜日までにお願いします。"],
    disclaimers: &["本メールは機密情報を含む場合があります。誤って受信された場合は、送信者にご連絡のうえ削除してください。"],
    outlook_re: "RE:",
    outlook_fw: "FW:",
};

/// The line Japanese mail opens with after the addressee: greeting and own name.
pub fn ja_intro(me: &str) -> String {
    format!("お疲れ様です。{me}です。")
}
