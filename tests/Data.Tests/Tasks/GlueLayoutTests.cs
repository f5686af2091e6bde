using Gpt1Cluster.Data.Tasks;
using Gpt1Cluster.Data.Tests.Fixtures;

namespace Gpt1Cluster.Data.Tests.Tasks;

/// <summary>Each GLUE layout, from three rows under its real header, reads without --columns.</summary>
public sealed class GlueLayoutTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string, TaskKind, string, string[], string> Layouts => new()
    {
        {
            "SST-2", TaskKind.Classification,
            TaskFixtures.Tsv(["sentence", "label"],
                ["hide new secretions from the parental units ", "0"],
                ["contains no wit , only labored gags ", "0"],
                ["that loves its characters and communicates something rather beautiful about human nature ", "1"]),
            ["hide new secretions from the parental units "], "0"
        },
        {
            "CoLA", TaskKind.Classification,
            TaskFixtures.Tsv(["gj04", "1", "", "Our friends won't buy this analysis, let alone the next one we propose."],
                ["gj04", "1", "", "One more pseudo generalization and I'm giving up."],
                ["gj04", "0", "*", "They drank the pub."]),
            ["Our friends won't buy this analysis, let alone the next one we propose."], "1"
        },
        {
            "MRPC", TaskKind.Similarity,
            "\uFEFF" + TaskFixtures.Tsv(["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"],
                ["1", "702876", "702977", "Amrozi accused his brother , whom he called \" the witness \" , of deliberately distorting his evidence .", "Referring to him as only \" the witness \" , Amrozi accused his brother of deliberately distorting his evidence ."],
                ["0", "2108705", "2108831", "Yucaipa owned Dominick 's before selling the chain to Safeway in 1998 for $ 2.5 billion .", "Yucaipa bought Dominick 's in 1995 for $ 693 million and sold it to Safeway for $ 1.8 billion in 1998 ."],
                ["1", "1330381", "1330521", "They had published an advertisement on the Internet on June 10 , offering the cargo for sale , he added .", "On June 10 , the ship 's owners had published an advertisement on the Internet , offering the explosives for sale ."]),
            ["Amrozi accused his brother , whom he called \" the witness \" , of deliberately distorting his evidence .", "Referring to him as only \" the witness \" , Amrozi accused his brother of deliberately distorting his evidence ."], "1"
        },
        {
            "QQP", TaskKind.Similarity,
            TaskFixtures.Tsv(["id", "qid1", "qid2", "question1", "question2", "is_duplicate"],
                ["133273", "213221", "213222", "How is the life of a math student? Could you describe your own experiences?", "Which level of prepration is enough for the exam jlpt5?", "0"],
                ["402555", "536040", "536041", "How do I control my horny emotions?", "How do you control your horniness?", "1"],
                ["360472", "364011", "490273", "What causes stool color to change to yellow?", "What can cause stool to come out as little balls?", "0"]),
            ["How is the life of a math student? Could you describe your own experiences?", "Which level of prepration is enough for the exam jlpt5?"], "0"
        },
        {
            "STS-B", TaskKind.Similarity,
            TaskFixtures.Tsv(["index", "genre", "filename", "year", "old_index", "source1", "source2", "sentence1", "sentence2", "score"],
                ["0", "main-captions", "MSRvid", "2012test", "0001", "none", "none", "A plane is taking off.", "An air plane is taking off.", "5.000"],
                ["1", "main-captions", "MSRvid", "2012test", "0004", "none", "none", "A man is playing a large flute.", "A man is playing a flute.", "3.800"],
                ["2", "main-captions", "MSRvid", "2012test", "0005", "none", "none", "A man is spreading shreded cheese on a pizza.", "A man is spreading shredded cheese on an uncooked pizza.", "3.800"]),
            ["A plane is taking off.", "An air plane is taking off."], "5.000"
        },
        {
            "MNLI", TaskKind.Entailment,
            TaskFixtures.Tsv(["index", "promptID", "pairID", "genre", "sentence1_binary_parse", "sentence2_binary_parse", "sentence1_parse", "sentence2_parse", "sentence1", "sentence2", "label1", "gold_label"],
                ["0", "31193", "31193n", "government", "( ( Conceptually ( cream skimming ) ) ... )", "( ( ( Product and ) geography ) ... )", "(ROOT (S ...))", "(ROOT (S ...))", "Conceptually cream skimming has two basic dimensions - product and geography.", "Product and geography are what make cream skimming work. ", "neutral", "neutral"],
                ["1", "101457", "101457e", "telephone", "( you ( ( know ... ) ) )", "( You ( ( ( ( lose ... ) ) ) ) )", "(ROOT (S ...))", "(ROOT (S ...))", "you know during the season and i guess at at your level uh you lose them to the next level", "You lose the things to the following level if the people recall.", "entailment", "entailment"],
                ["2", "134793", "134793e", "fiction", "( ( One ( of ( our number ) ) ) ... )", "( ( A member ) ... )", "(ROOT (S ...))", "(ROOT (S ...))", "One of our number will carry out your instructions minutely.", "A member of my team will execute your orders with immense precision.", "entailment", "entailment"]),
            ["Conceptually cream skimming has two basic dimensions - product and geography.", "Product and geography are what make cream skimming work. "], "neutral"
        },
        {
            "RTE", TaskKind.Entailment,
            TaskFixtures.Tsv(["index", "sentence1", "sentence2", "label"],
                ["0", "No Weapons of Mass Destruction Found in Iraq Yet.", "Weapons of Mass Destruction Found in Iraq.", "not_entailment"],
                ["1", "A place of sorrow, after Pope John Paul II died, became a place of celebration.", "Pope Benedict XVI is the new leader of the Roman Catholic Church.", "entailment"],
                ["2", "Herceptin was already approved to treat the sickest breast cancer patients.", "Herceptin can be used to treat breast cancer.", "entailment"]),
            ["No Weapons of Mass Destruction Found in Iraq Yet.", "Weapons of Mass Destruction Found in Iraq."], "not_entailment"
        },
        {
            "QNLI", TaskKind.Entailment,
            TaskFixtures.Tsv(["index", "question", "sentence", "label"],
                ["0", "When did the third Digimon series begin?", "Unlike the two seasons before it and most of the seasons that followed, Digimon Tamers takes a darker and more realistic approach to its story.", "not_entailment"],
                ["1", "Which missile batteries often have individual launchers several kilometres from one another?", "When MANPADS is operated by specialists, batteries may have several dozen teams deploying separately in small sections.", "not_entailment"],
                ["2", "What two things does Popper argue Tarski's theory involves in an evaluation of truth?", "He bases this interpretation on the fact that examples such as the one described above refer to two things.", "entailment"]),
            ["When did the third Digimon series begin?", "Unlike the two seasons before it and most of the seasons that followed, Digimon Tamers takes a darker and more realistic approach to its story."], "not_entailment"
        },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void A_glue_file_is_recognized_by_its_header_and_reads_without_columns(string layout, TaskKind kind, string content, string[] firstInputs, string firstLabel)
    {
        var path = _dir.Write($"{layout}/train.tsv", content);

        var rows = TaskFile.Read(path, kind);

        Assert.Equal(layout, TaskFile.Layout(path));
        Assert.Equal(3, rows.Count);
        Assert.Equal(firstInputs, rows[0].Inputs);
        Assert.Equal(firstLabel, rows[0].Label);
        Assert.Equal(path, rows[0].File);
        Assert.Equal(layout == "CoLA" ? 1 : 2, rows[0].Line);
    }

    [Theory]
    [InlineData("index\tsentence\n0\tuneasy mishmash of styles and genres .\n", "SST-2")]
    [InlineData("id\tquestion1\tquestion2\n0\tWould the idea of Trump and Putin in bed together scare you?\tDo you think that if Donald Trump were elected President, he would be impeached?\n", "QQP")]
    [InlineData("index\tsentence1\tsentence2\n0\tMexico City has a very bad pollution problem.\tMexico City has a bad pollution problem.\n", "RTE")]
    public void A_glue_test_file_without_labels_is_an_error_that_says_no_label_column(string content, string layout)
    {
        var path = _dir.Write("test.tsv", content);
        var kind = layout == "SST-2" ? TaskKind.Classification : layout == "QQP" ? TaskKind.Similarity : TaskKind.Entailment;

        var error = Assert.Throws<InvalidDataException>(() => TaskFile.Read(path, kind));

        Assert.Equal(layout, TaskFile.Layout(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("no label column", error.Message);
    }

    [Fact]
    public void A_glue_file_read_as_a_kind_with_another_number_of_texts_says_which_kind_it_is()
    {
        var path = _dir.Write("rte.tsv", TaskFixtures.Tsv(["index", "sentence1", "sentence2", "label"], ["0", "a b", "c d", "entailment"]));

        var error = Assert.Throws<InvalidDataException>(() => TaskFile.Read(path, TaskKind.Classification));

        Assert.Contains("RTE", error.Message);
        Assert.Contains("entailment", error.Message);
    }

    [Fact]
    public void Jsonl_and_generic_tsv_have_no_layout()
    {
        Assert.Null(TaskFile.Layout(_dir.Write("a.jsonl", "{\"text\": \"x\", \"label\": 1}\n")));
        Assert.Null(TaskFile.Layout(_dir.Write("b.tsv", "text\tlabel\nx\t1\n")));
    }
}
