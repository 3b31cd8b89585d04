package classify

// commonText lists everyday English words, written for this project. The
// speller leaves them alone even when the training data never used them,
// so that "full", "came" or "love" are not "corrected" into a nearby
// domain word ("pull", "cam", "live"); it also corrects typos towards them.
const commonText = `
able about above absolutely accept access accidentally according accountant across act action active
actual actually add added adding additional admin advance advice afraid after afternoon again
against age ago agree agreed ahead air all allow allowed almost alone along already alright also
although always am amazed amazing amount and angry animal annoyed annoying another answer answered
answering answers any anybody anyhow anymore anyone anything anytime anyway anywhere apart apologies
apologise apologize apology apparently appear apple appreciate appreciated approved april are area
arm around arrive arrived art as asap ask asked asking asks assume at attached attempt attempts
august aunt automatically available average avoid awake aware away awesome awful baby back bad badly
bag bakery bank base basically basket battery be beautiful became because become bed bedroom been
before began begin beginning behalf behind being believe belong below best better between big bike
bill billing birth birthday bit black blame blender blocked blog bloody blue board body bonus book
bored boring born boss both bother bottle bottom box boy brand bread break breakfast brilliant bring
broke broken brother brought brown browser budget bug build building built bunch bus business busy
but buy buyer by cable cake call calm came camera can cancelled cannot caps car card care careful
carefully careless cares cart case cash cat catalog catalogue caught cause cell certain certainly
chair chance charge charged charger cheap cheaper cheers child children chose city class clean clear
clearly click clicked clicking client clock close clothes clue coat code coffee cold colleague
collect color colour come comes comfortable coming comment common company complete completely
computer confirm confirmation confirmed confused contact content continue cook cool corner cost
costs couch could count country couple coupon course cousin cover crap crazy create credit cross cry
cup cupboard currently customer customers cut cute dad daily damaged damn dang dark darn data date
daughter day days dead deadline deal dear debit december decent decide decided deep definitely delay
delayed delete delivered delivery department deposit desk desktop detail details device did die
different difficult dinner dirty disappointed discount discounts dish display do doctor does dog
doing done door double down drawer dream dress drink drive driver drop dry due during each ear
earlier early easily easy eat edition egg eight either electric electronics else elses email emails
employee empty end ended enough entire error especially estimate euro euros even evening ever every
everybody everyday everyone everything everywhere evidence exactly example excellent except exchange
excited excuse expect expected expenses expensive experience expired explain explained extra eye
face fact fail failed fair fake fall family fantastic far fast father fault faulty favorite
favourite fear february fee feel feeling fees feet few fiance field fifteen fifty fight figure file
fill film final finally find fine finger finish fire first fish fit five fix fixed flat floor fly
folder follow food foot for forever forgot form formal forms forty forward four frankly freaking
free friday fridge friend from front fruit frustrated frustrating full fuming fun funny furniture
further future gadget game garbage garden gave general gift girl give given glad glass gmail go god
goes going gone good goods got grateful great green grey ground group grow guarantee guess guy guys
hair half hand handle happen happened happening happens happy hard has hate have having he head
headphones hear heard heart heater hell hello help helpful hence her here herself hey hi high hiking
him himself hire his history hit hold holiday home honest honestly hope hopefully horrible hospital
hot hotel hotmail hour hours house how however huge hundred hungry hurry hurt husband i idea
identity if ignore ignored ill image immediately import important in incorrect info inform inside
instead instructions interested interesting interface internet into invalid invoice is it item items
its itself jacket january jeans jewellery jewelry job join joke july jump june just keep kept kettle
key keyboard kid kids kind kindly kitchen knew know known label lady lamp land language laptop
laptops large last late later latest laugh laughed lawyer learn least leave left leg legal less let
letter level life light like liked likely limit line link links list listen little live lives living
lodging logging log logo spelt spelled misspelt hide hiding guest guests long look looked looking looks lose lost lot lots loud love lovely low loyal
loyalty luck lucky luggage lunch machine mad made mail main make man manage manager many march mark
market married match matter mattress may maybe me mean means meant meanwhile meet meeting member men
mention mentioned menu mess message messages met method middle might mile mind mine minute minutes
miss mistake mixer mobile mom moment monday money monitor month months more morning most mother
mothers mouse mouth move movie much mug mum music must my myself name near nearby nearly need needed
needs neighbor neighbour neither nephew never new news next nice night nightmare nine no nobody
noise none nonsense nor normal normally nose not note nothing notice notification notifications
november now number obviously of off offer offers office official often oh ok okay old on once one
online only open or orange orders organise organize other others otherwise our out outfit outside
over overdue own owner pack page paid pain pair pants paper parcel parent parents park part party
pass password past pay paypal pen people percent perfect perfume perhaps person phone photo pick
picture piece pile pillow pink pizza place plan plate play please pleased pleasure plus pocket point
points police polite poor portal possible pound pounds present pretty price printer private probably
problem proper properly pull put question quick quickly quid quiet quite rain ran rather reach read
ready real really reason receipt recently red reference regards regular remember reply reported
request required reset response rest rich ride ridiculous right ring river road room round rubbish
rug rule run sad safe said same saturday save saved saves saw say saying says scarf school screen
sea second see seem seems seen sell seller send sense sent september serial serious seriously set
seven several shall she shipping shirt shoe shoes shop shopping short should shout show shower sick
side sign signed simple simply since sing sir sister sit six size sleep sleeve slipper slow slowly
small smile sneakers so sofa software sold some somebody someone something sometimes somewhere son
soon sorry sort sorted sound space spare speak speaker special spelling spend spent sport spring
stand star start started state stated stay step still stock stolen stop store story straight strange
street strong stuck student study stupid such suddenly sugar suggest summer sun sunday super
supposed sure surprise sweater sweet system table tablet tablets take taken talk tall tea teach
teacher tech tell ten terrible test text than thank thanks that the their them themselves then there
therefore these they thing things think third thirty this those though thought thousand three
through thursday ticket till time times tired to today together told tomorrow tonight too took tool
top total totally touch town toy train trainers tree tried trip trouser trousers true truly trust
truth try trying tuesday turn tv twelve twenty twice two type ugly umbrella uncle under understand
unfortunately unit unless until up upon upset upstairs urgent urgently us use used useful useless
user username usual usually valid value vase very visit wait waited waiting walk wall wallet want
wanted war wardrobe warehouse warm was wash watch water way we wear weather website wednesday week
weekend weeks weird welcome well went were what whatever wheel when whenever where whether which
while white who whoever whole whose why wife will win window winter wish wishlist with within
without woman women wonder wonderful word words work worked working works world worried worry worse
worst would write writing written wrong wrongly wrote yeah year years yellow yes yesterday yet you
young your yours yourself
abode among ample annual bench booth bulky camel cease chart chuck chucked command concert conversing court cream curtain dealt drove eighty employer event exist exists expires froze finance fresh haste latter linen local loose packet paint passe persona plain plant promise relay remain remote shade shift shoot shown slammed slipped snowing solid stank stick sundry swore sweat terribly threw thrown trade wasted wasting withdrawn custom misled
`
